# The Unicode category C table behind unicode_is_category_c(), generated at
# build time from Debian's unicode-data package (nothing is downloaded).
# Included from the top-level CMakeLists.txt; appends the generated C file to
# CORDGATE_GENERATED_SOURCES, which the core library compiles.
set(CORDGATE_UNICODE_DATA /usr/share/unicode/UnicodeData.txt
    CACHE FILEPATH "UnicodeData.txt (Debian package unicode-data)")
if(NOT EXISTS ${CORDGATE_UNICODE_DATA})
    message(FATAL_ERROR
        "${CORDGATE_UNICODE_DATA} not found: install the unicode-data package "
        "(apt-get install unicode-data) or set CORDGATE_UNICODE_DATA")
endif()

set(CORDGATE_UNICODE_C ${CMAKE_BINARY_DIR}/generated/unicode_category_c.c)
add_custom_command(
    OUTPUT ${CORDGATE_UNICODE_C}
    COMMAND ${CMAKE_COMMAND} -DIN=${CORDGATE_UNICODE_DATA}
            -DOUT=${CORDGATE_UNICODE_C}
            -P ${CMAKE_CURRENT_LIST_DIR}/unicode_table.cmake
    DEPENDS ${CORDGATE_UNICODE_DATA} ${CMAKE_CURRENT_LIST_DIR}/unicode_table.cmake
    COMMENT "Generating the Unicode category C table"
    VERBATIM)
list(APPEND CORDGATE_GENERATED_SOURCES ${CORDGATE_UNICODE_C})
