/* Compiler attributes used across the code base. */
#ifndef CORDGATE_COMPILER_H
#define CORDGATE_COMPILER_H

#define CG_MUSTCHECK        __attribute__((warn_unused_result))
#define CG_MALLOC           __attribute__((malloc))
#define CG_PRINTF(fmt, arg) __attribute__((format(printf, fmt, arg)))
#define CG_NORETURN         __attribute__((noreturn))
#define CG_UNUSED           __attribute__((unused))
#define CG_ARRAY_LEN(a)     (sizeof(a) / sizeof((a)[0]))

#endif
