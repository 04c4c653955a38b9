/* The C99 complex functions of ucrtbase.dll, which Wine 8.0 has only as stubs.
 *
 * numpy 2.x calls them from its core module and aborts on import under Wine 8.0.
 * This file is linked into a native ucrtbase.dll whose other exports all forward
 * to Wine's own ucrtbase (copied beside it as ucrtwine.dll; see ucrtbase_def.py).
 * Every function here is named impl_<export>; the .def file maps them.
 *
 * The Universal CRT passes complex numbers as structs (_Dcomplex, _Fcomplex,
 * _Lcomplex, where long double is double), not as C99 _Complex values, so each
 * function converts at the boundary and calls mingw-w64's libm.
 */
#include <complex.h>
#include <stdlib.h>

typedef struct { double parts[2]; } ucrt_dcomplex; /* also _Lcomplex */
typedef struct { float parts[2]; } ucrt_fcomplex;

static double complex from_d(ucrt_dcomplex z) { return __builtin_complex(z.parts[0], z.parts[1]); }
static float complex from_f(ucrt_fcomplex z) { return __builtin_complex(z.parts[0], z.parts[1]); }
static ucrt_dcomplex to_d(double complex z) { ucrt_dcomplex r = {{creal(z), cimag(z)}}; return r; }
static ucrt_fcomplex to_f(float complex z) { ucrt_fcomplex r = {{crealf(z), cimagf(z)}}; return r; }

/* f(z) -> complex, in the double, float and long double flavours */
#define COMPLEX_TO_COMPLEX(fn) \
    ucrt_dcomplex impl_##fn(ucrt_dcomplex z) { return to_d(fn(from_d(z))); } \
    ucrt_fcomplex impl_##fn##f(ucrt_fcomplex z) { return to_f(fn##f(from_f(z))); } \
    ucrt_dcomplex impl_##fn##l(ucrt_dcomplex z) { return to_d(fn(from_d(z))); }

/* f(z) -> real */
#define COMPLEX_TO_REAL(fn) \
    double impl_##fn(ucrt_dcomplex z) { return fn(from_d(z)); } \
    float impl_##fn##f(ucrt_fcomplex z) { return fn##f(from_f(z)); } \
    double impl_##fn##l(ucrt_dcomplex z) { return fn(from_d(z)); }

COMPLEX_TO_COMPLEX(cacos) COMPLEX_TO_COMPLEX(cacosh)
COMPLEX_TO_COMPLEX(casin) COMPLEX_TO_COMPLEX(casinh)
COMPLEX_TO_COMPLEX(catan) COMPLEX_TO_COMPLEX(catanh)
COMPLEX_TO_COMPLEX(ccos) COMPLEX_TO_COMPLEX(ccosh)
COMPLEX_TO_COMPLEX(csin) COMPLEX_TO_COMPLEX(csinh)
COMPLEX_TO_COMPLEX(ctan) COMPLEX_TO_COMPLEX(ctanh)
COMPLEX_TO_COMPLEX(cexp) COMPLEX_TO_COMPLEX(clog)
COMPLEX_TO_COMPLEX(csqrt) COMPLEX_TO_COMPLEX(conj)
COMPLEX_TO_COMPLEX(cproj)
COMPLEX_TO_REAL(cabs) COMPLEX_TO_REAL(carg)
COMPLEX_TO_REAL(creal) COMPLEX_TO_REAL(cimag)

/* norm: the squared magnitude */
double impl_norm(ucrt_dcomplex z) { return z.parts[0] * z.parts[0] + z.parts[1] * z.parts[1]; }
float impl_normf(ucrt_fcomplex z) { return z.parts[0] * z.parts[0] + z.parts[1] * z.parts[1]; }
double impl_norml(ucrt_dcomplex z) { return impl_norm(z); }

ucrt_dcomplex impl_cpow(ucrt_dcomplex x, ucrt_dcomplex y) { return to_d(cpow(from_d(x), from_d(y))); }
ucrt_fcomplex impl_cpowf(ucrt_fcomplex x, ucrt_fcomplex y) { return to_f(cpowf(from_f(x), from_f(y))); }
ucrt_dcomplex impl_cpowl(ucrt_dcomplex x, ucrt_dcomplex y) { return impl_cpow(x, y); }

/* the UCRT's builders and multipliers (it has no complex operators) */
ucrt_dcomplex impl__Cbuild(double re, double im) { ucrt_dcomplex r = {{re, im}}; return r; }
ucrt_fcomplex impl__FCbuild(float re, float im) { ucrt_fcomplex r = {{re, im}}; return r; }
ucrt_dcomplex impl__LCbuild(double re, double im) { return impl__Cbuild(re, im); }
ucrt_dcomplex impl__Cmulcc(ucrt_dcomplex x, ucrt_dcomplex y) { return to_d(from_d(x) * from_d(y)); }
ucrt_dcomplex impl__Cmulcr(ucrt_dcomplex x, double y) { return to_d(from_d(x) * y); }
ucrt_fcomplex impl__FCmulcc(ucrt_fcomplex x, ucrt_fcomplex y) { return to_f(from_f(x) * from_f(y)); }
ucrt_fcomplex impl__FCmulcr(ucrt_fcomplex x, float y) { return to_f(from_f(x) * y); }
ucrt_dcomplex impl__LCmulcc(ucrt_dcomplex x, ucrt_dcomplex y) { return impl__Cmulcc(x, y); }
ucrt_dcomplex impl__LCmulcr(ucrt_dcomplex x, double y) { return impl__Cmulcr(x, y); }

/* Wine 8.0's is a stub that returns; the UCRT's ends the process */
void impl__invoke_watson(const void *expression, const void *function, const void *file,
                         unsigned int line, unsigned long long reserved)
{
    (void)expression; (void)function; (void)file; (void)line; (void)reserved;
    abort();
}
