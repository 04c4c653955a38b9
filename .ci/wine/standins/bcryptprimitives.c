/* bcryptprimitives.dll!ProcessPrng for Wine 8.0, which lacks it.
 *
 * uv.exe (built with Rust >= 1.78) takes its random bytes from ProcessPrng.
 * This one fills the buffer from RtlGenRandom (advapi32's SystemFunction036).
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE buffer, SIZE_T length)
{
    const SIZE_T chunk_max = 1u << 30; /* RtlGenRandom takes a ULONG length */
    while (length > 0) {
        ULONG chunk = (ULONG)(length < chunk_max ? length : chunk_max);
        if (!RtlGenRandom(buffer, chunk))
            return FALSE;
        buffer += chunk;
        length -= chunk;
    }
    return TRUE;
}
