# ctest script: `cmake --install` the build tree into a fresh prefix, then configure, build and
# run tests/certs/consumer against that prefix with find_package(kubedouble).
#   cmake -DBUILD_DIR=<kubedouble build> -DCONSUMER_DIR=<consumer source> -DWORK_DIR=<scratch>
#         [-DCONSUMER_FLAGS=<extra C++ and link flags>] -P install_test.cmake
foreach(var BUILD_DIR CONSUMER_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_test.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
if(NOT EXISTS "${prefix}/include/kubedouble/certs/certs.h")
  message(FATAL_ERROR "the certs header was not installed")
endif()

run("configuring the consumer" ${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/consumer"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run("building the consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
run("running the consumer" "${WORK_DIR}/consumer/consumer")
if(NOT run_output MATCHES "^ok CN=kubedouble-admin, O=system:masters")
  message(FATAL_ERROR "unexpected consumer output: ${run_output}")
endif()
message(STATUS "consumer: ${run_output}")
file(REMOVE_RECURSE "${WORK_DIR}")
