# Run as the PATCH_COMMAND of wolfssl_build (cmake -P):
#   -DPRISTINE=<fetched wolfSSL tree> -DSRC=<copy to build from>
#   -DOBJ=<wolfSSL binary dir> -DPATCHES=<patch files, ';'-separated, in order>
#
# The fetched tree in .deps/ is shared by every build directory and never
# modified. Each build patches its own fresh copy, so re-running this step
# starts from pristine sources again: nothing is applied twice, and a patch
# that no longer applies stops the build here instead of being skipped.
foreach(_var PRISTINE SRC OBJ)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "wolfssl-patch.cmake: ${_var} not set")
  endif()
endforeach()
if(NOT EXISTS "${PRISTINE}/CMakeLists.txt")
  message(FATAL_ERROR "wolfSSL sources not found in ${PRISTINE}: run scripts/setup first")
endif()
find_program(PATCH_EXECUTABLE patch)
if(NOT PATCH_EXECUTABLE)
  message(FATAL_ERROR "wolfssl-patch.cmake: 'patch' not found (Debian package patch)")
endif()

# Remove the contents, not the directory: it is this step's working directory.
file(GLOB _old LIST_DIRECTORIES true "${SRC}/*" "${SRC}/.*")
if(_old)
  file(REMOVE_RECURSE ${_old})
endif()
file(MAKE_DIRECTORY "${SRC}")
file(COPY "${PRISTINE}/" DESTINATION "${SRC}")

# New sources mean a new wolfSSL build from scratch; an older binary dir may
# also have been configured from another source path, which CMake refuses.
file(REMOVE_RECURSE "${OBJ}")
file(MAKE_DIRECTORY "${OBJ}")

foreach(_p IN LISTS PATCHES)
  get_filename_component(_name "${_p}" NAME)
  # --forward: a hunk already present is an error, never silently reversed.
  execute_process(
    COMMAND "${PATCH_EXECUTABLE}" -p1 --forward --batch --no-backup-if-mismatch
            -r - -i "${_p}"
    WORKING_DIRECTORY "${SRC}"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "wolfSSL patch ${_name} does not apply to ${PRISTINE}:\n${_out}")
  endif()
  message(STATUS "wolfSSL: applied ${_name}")
endforeach()
