# ctest script: records a run in one process and replays it in another, so the event log does
# not depend on anything that differs between processes (hash seeds, addresses).
# Usage: cmake -DSIM=<gryadka-sim> -DFILE=<recording> -P replay_check.cmake
foreach(var SIM FILE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "replay_check.cmake needs -D${var}=...")
  endif()
endforeach()
execute_process(COMMAND ${SIM} --scenario mixing/c4p2k3 --seed 3 --record ${FILE} --quiet
  RESULT_VARIABLE record_rc OUTPUT_VARIABLE record_out)
if(NOT record_rc EQUAL 0)
  message(FATAL_ERROR "recording failed (${record_rc}):\n${record_out}")
endif()
execute_process(COMMAND ${SIM} --replay ${FILE} --quiet
  RESULT_VARIABLE replay_rc OUTPUT_VARIABLE replay_out)
if(NOT replay_rc EQUAL 0)
  message(FATAL_ERROR "replay in a second process diverged (${replay_rc}):\n${replay_out}")
endif()
message(STATUS "${replay_out}")
