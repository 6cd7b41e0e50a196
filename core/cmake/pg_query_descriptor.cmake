# libpg_query's parse tree format as a descriptor set, embedded as a C++ array
# (${OUTPUT_DIR}/pg_query_descriptor.cpp, kPgQueryDescriptorSet): core/scripts/postgres_parse_tree.cpp
# reads trees through reflection instead of compiling the ~100,000 lines protoc would generate.
# Included by core/scripts/ and by the fuzz build; EMBED_SCRIPT is core/cmake/embed_bytes.cmake.
function(pg_query_descriptor output_dir embed_script)
  find_file(PG_QUERY_PROTO pg_query.proto PATHS /usr/include/pg_query REQUIRED NO_DEFAULT_PATH)
  get_filename_component(proto_dir ${PG_QUERY_PROTO} DIRECTORY)
  add_custom_command(
    OUTPUT ${output_dir}/pg_query_descriptor.cpp
    COMMAND protobuf::protoc --descriptor_set_out=${output_dir}/pg_query.desc -I${proto_dir}
            ${PG_QUERY_PROTO}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${output_dir}/pg_query.desc
            -DOUTPUT=${output_dir}/pg_query_descriptor.cpp -DNAME=kPgQueryDescriptorSet
            -P ${embed_script}
    DEPENDS ${PG_QUERY_PROTO} ${embed_script}
    VERBATIM)
endfunction()
