# Writes a C file holding the code points of Unicode general category C (Cc,
# Cf, Cs, Co and Cn) as sorted, merged [first, last] ranges, for
# unicode_is_category_c() in src/validate.c.
# Called with -DIN=<UnicodeData.txt> -DOUT=<file.c>.
#
# Every line of UnicodeData.txt is "CODE;Name;Category;...".  A code point
# not listed is unassigned (Cn).  A pair of lines named "<..., First>" and
# "<..., Last>" stands for the whole range between them, all with the first
# line's category: CJK ideographs and Hangul syllables (L), surrogates (Cs),
# private use (Co).
if(NOT DEFINED IN OR NOT DEFINED OUT)
    message(FATAL_ERROR "unicode_table.cmake: pass -DIN=<UnicodeData.txt> -DOUT=<file.c>")
endif()
if(NOT EXISTS "${IN}")
    message(FATAL_ERROR "unicode_table.cmake: ${IN} not found; "
                        "install Debian's unicode-data package")
endif()

# The UCD version, from DerivedAge.txt next to UnicodeData.txt (Debian ships
# both in unicode-data); UnicodeData.txt itself does not say.
get_filename_component(ucd_dir "${IN}" DIRECTORY)
set(version "unknown")
if(EXISTS "${ucd_dir}/DerivedAge.txt")
    file(STRINGS "${ucd_dir}/DerivedAge.txt" age_line LIMIT_COUNT 1)
    if(age_line MATCHES "DerivedAge-([0-9]+\\.[0-9]+\\.[0-9]+)\\.txt")
        set(version "${CMAKE_MATCH_1}")
    endif()
endif()

# Reduce each line to "CODE:Category:Kind", Kind being F (range first),
# L (range last) or - (a single code point).  Whole-file regex replacement
# is much faster in CMake than a regex per line.
file(READ "${IN}" text)
string(REPLACE "\r" "" text "${text}")
string(REGEX REPLACE "([0-9A-F]+);<[^;\n]*, First>;([A-Z][a-z]);[^\n]*\n"
       "\\1:\\2:F\n" text "${text}")
string(REGEX REPLACE "([0-9A-F]+);<[^;\n]*, Last>;([A-Z][a-z]);[^\n]*\n"
       "\\1:\\2:L\n" text "${text}")
string(REGEX REPLACE "([0-9A-F]+);[^;\n]*;([A-Z][a-z]);[^\n]*\n"
       "\\1:\\2:-\n" text "${text}")
string(REGEX REPLACE "\n$" "" text "${text}")
string(REPLACE "\n" ";" lines "${text}")

set(rows "")
set(nranges 0)
set(cur_first -1)
set(cur_last -2)

# Add [a, b] to the table, merging it with the previous range when adjacent.
macro(add_c a b)
    math(EXPR after_cur "${cur_last} + 1")
    if(${a} EQUAL ${after_cur})
        set(cur_last ${b})
    else()
        emit_cur()
        set(cur_first ${a})
        set(cur_last ${b})
    endif()
endmacro()

macro(emit_cur)
    if(${cur_first} GREATER_EQUAL 0)
        math(EXPR hf "${cur_first}" OUTPUT_FORMAT HEXADECIMAL)
        math(EXPR hl "${cur_last}" OUTPUT_FORMAT HEXADECIMAL)
        string(APPEND rows "    {${hf}, ${hl}},\n")
        math(EXPR nranges "${nranges} + 1")
    endif()
endmacro()

set(next 0)            # the lowest code point not yet classified
set(range_first "")    # open "<..., First>" line, waiting for its Last
set(range_cat "")
set(nlines 0)
foreach(line IN LISTS lines)
    if(NOT line MATCHES "^([0-9A-F]+):([A-Z][a-z]):([FL-])$")
        message(FATAL_ERROR "unicode_table.cmake: ${IN}: cannot read line "
                            "\"${line}\" (after ${nlines} good lines)")
    endif()
    set(hex ${CMAKE_MATCH_1})
    set(cat ${CMAKE_MATCH_2})
    set(kind ${CMAKE_MATCH_3})
    math(EXPR cp "0x${hex}")
    math(EXPR nlines "${nlines} + 1")
    if(kind STREQUAL "L")
        if(range_first STREQUAL "" OR NOT cat STREQUAL range_cat)
            message(FATAL_ERROR "unicode_table.cmake: ${IN}: range end "
                                "${hex} without a matching First line")
        endif()
        if(cat MATCHES "^C[cfso]$")
            add_c(${range_first} ${cp})
        endif()
        math(EXPR next "${cp} + 1")
        set(range_first "")
        continue()
    endif()
    if(NOT range_first STREQUAL "")
        message(FATAL_ERROR "unicode_table.cmake: ${IN}: range starting "
                            "at ${range_first} has no Last line")
    endif()
    if(cp LESS next)
        message(FATAL_ERROR "unicode_table.cmake: ${IN}: code point ${hex} "
                            "out of order")
    endif()
    if(cp GREATER next)
        math(EXPR gap_last "${cp} - 1")
        add_c(${next} ${gap_last})  # unassigned: Cn
    endif()
    if(kind STREQUAL "F")
        set(range_first ${cp})
        set(range_cat ${cat})
        continue()
    endif()
    if(cat MATCHES "^C[cfso]$")
        add_c(${cp} ${cp})
    endif()
    math(EXPR next "${cp} + 1")
endforeach()
if(NOT range_first STREQUAL "")
    message(FATAL_ERROR "unicode_table.cmake: ${IN}: last range has no end")
endif()
# A real UnicodeData.txt lists well over 30000 lines; far fewer means a
# truncated or foreign file, which would make almost everything Cn.
if(nlines LESS 30000)
    message(FATAL_ERROR "unicode_table.cmake: ${IN} has only ${nlines} "
                        "lines; is it really UnicodeData.txt?")
endif()
if(next LESS_EQUAL 1114111)
    add_c(${next} 1114111)
endif()
emit_cur()

set(body "/* Generated from ${IN} (Unicode ${version}) by\n")
string(APPEND body " * cmake/unicode_table.cmake: the code points of general category C. */\n")
string(APPEND body "#include \"cordgate/validate.h\"\n\n")
string(APPEND body "const char unicode_data_version[] = \"${version}\";\n\n")
string(APPEND body "const struct unicode_range unicode_category_c_ranges[] = {\n")
string(APPEND body "${rows}};\n")
string(APPEND body "const size_t unicode_category_c_count = ${nranges};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
