// Responder: where the answer to one request goes.
//
// The request handling code talks to a Responder, never to a socket: the control session
// implements it by queueing frames on its connection. Both methods are thread-safe; SendResult
// is called exactly once per request, after every event of that request.
#pragma once

#include "migrationd.pb.h"

namespace migrationd {

class Responder {
 public:
  virtual ~Responder() = default;
  virtual void SendEvent(proto::Event event) = 0;
  virtual void SendResult(proto::Result result) = 0;
};

}  // namespace migrationd
