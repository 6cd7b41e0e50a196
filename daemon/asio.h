// The one way this project includes Boost.Asio.
//
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>, which breaks under
// -std=c++20 unless <utility> comes first; include Asio only through this header.
#pragma once

// The order matters: keep clang-format from sorting <utility> after Boost.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
// clang-format on
