/* icuuc.dll for Wine 8.0, which has no Windows 10 system ICU.
 *
 * Qt >= 6.7 links Qt6Core.dll against the ucnv_* converter API of the ICU that
 * Windows 10 ships in system32. Here every converter fails to open with
 * U_FILE_ACCESS_ERROR, so Qt falls back to its built-in UTF-8/16/32 and Latin-1
 * codecs, which is all the terminal uses. It is placed in the Wine prefix only:
 * PyInstaller leaves system32 DLLs out of the bundle, and real Windows has the
 * real library.
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT __declspec(dllexport)
#define U_FILE_ACCESS_ERROR 4

typedef int UErrorCode;
typedef struct UConverter UConverter;
typedef uint16_t UChar;

static void refuse(UErrorCode *status)
{
    if (status != NULL && *status <= 0)
        *status = U_FILE_ACCESS_ERROR;
}

static void no_callback(void **action, const void **context)
{
    if (action != NULL)
        *action = NULL;
    if (context != NULL)
        *context = NULL;
}

/* opening and naming converters: none exist */
EXPORT UConverter *ucnv_open(const char *name, UErrorCode *status) { (void)name; refuse(status); return NULL; }
EXPORT void ucnv_close(UConverter *cnv) { (void)cnv; }
EXPORT void ucnv_reset(UConverter *cnv) { (void)cnv; }
EXPORT int8_t ucnv_getMaxCharSize(const UConverter *cnv) { (void)cnv; return 1; }
EXPORT const char *ucnv_getName(const UConverter *cnv, UErrorCode *status) { (void)cnv; refuse(status); return NULL; }
EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *status) { (void)name; (void)standard; refuse(status); return NULL; }
EXPORT int32_t ucnv_countAvailable(void) { return 0; }
EXPORT const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }

/* callbacks */
EXPORT void ucnv_getToUCallBack(const UConverter *cnv, void **action, const void **context) { (void)cnv; no_callback(action, context); }
EXPORT void ucnv_getFromUCallBack(const UConverter *cnv, void **action, const void **context) { (void)cnv; no_callback(action, context); }
EXPORT void ucnv_setToUCallBack(UConverter *cnv, void *action, const void *context, void **old_action, const void **old_context, UErrorCode *status)
{ (void)cnv; (void)action; (void)context; no_callback(old_action, old_context); refuse(status); }
EXPORT void ucnv_setFromUCallBack(UConverter *cnv, void *action, const void *context, void **old_action, const void **old_context, UErrorCode *status)
{ (void)cnv; (void)action; (void)context; no_callback(old_action, old_context); refuse(status); }
EXPORT void ucnv_cbToUWriteUChars(void *args, const UChar *source, int32_t length, int32_t offset, UErrorCode *status)
{ (void)args; (void)source; (void)length; (void)offset; refuse(status); }
EXPORT void ucnv_cbFromUWriteUChars(void *args, const UChar **source, const UChar *limit, int32_t offset, UErrorCode *status)
{ (void)args; (void)source; (void)limit; (void)offset; refuse(status); }
EXPORT void UCNV_FROM_U_CALLBACK_SUBSTITUTE(void) {}
EXPORT void UCNV_TO_U_CALLBACK_SUBSTITUTE(void) {}

/* conversion: never reached, since no converter opens */
EXPORT void ucnv_toUnicode(UConverter *cnv, UChar **target, const UChar *target_limit, const char **source, const char *source_limit, int32_t *offsets, int8_t flush, UErrorCode *status)
{ (void)cnv; (void)target; (void)target_limit; (void)source; (void)source_limit; (void)offsets; (void)flush; refuse(status); }
EXPORT void ucnv_fromUnicode(UConverter *cnv, char **target, const char *target_limit, const UChar **source, const UChar *source_limit, int32_t *offsets, int8_t flush, UErrorCode *status)
{ (void)cnv; (void)target; (void)target_limit; (void)source; (void)source_limit; (void)offsets; (void)flush; refuse(status); }
EXPORT int32_t ucnv_toUCountPending(const UConverter *cnv, UErrorCode *status) { (void)cnv; refuse(status); return 0; }
EXPORT int32_t ucnv_fromUCountPending(const UConverter *cnv, UErrorCode *status) { (void)cnv; refuse(status); return 0; }
