/* JPEG decoding and encoding through libjpeg with errors returned as values.
 *
 * libjpeg reports fatal errors by calling error_exit, which by default calls exit(); the only way
 * back is longjmp, which Swift cannot catch. These functions own the setjmp, install an error
 * manager that longjmps back here, capture libjpeg's messages into the result instead of printing
 * them, and always destroy the libjpeg object (no leaks on any path). */
#ifndef TANGLE_JPEG_DECODE_H
#define TANGLE_JPEG_DECODE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Outcome of a call. */
enum {
    TANGLE_JPEG_OK = 0,
    /* libjpeg refused the data (bad markers, bad Huffman tables, impossible sizes...). */
    TANGLE_JPEG_CORRUPT = 1,
    /* The data ends before the image does ("Premature end of JPEG file"). */
    TANGLE_JPEG_TRUNCATED = 2,
    /* A valid JPEG this build cannot decode (12-bit precision, unknown colour conversion...). */
    TANGLE_JPEG_UNSUPPORTED = 3,
    /* More scans than the caller allows (a progressive file built to burn CPU). */
    TANGLE_JPEG_TOO_MANY_SCANS = 4,
    /* The caller's buffer does not match the image (a programming error). */
    TANGLE_JPEG_BAD_ARGUMENT = 5,
    /* libjpeg ran out of memory. */
    TANGLE_JPEG_NO_MEMORY = 6,
};

/* What a call found. */
typedef struct {
    int status;                 /* one of TANGLE_JPEG_* */
    unsigned width;             /* image width from the header */
    unsigned height;            /* image height from the header */
    int channels;               /* samples per pixel of the output: 1 (grey) or 3 (RGB) */
    int components;             /* components in the file (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK) */
    int color_space;            /* libjpeg's J_COLOR_SPACE of the file */
    int progressive;            /* 1 when the file is progressive */
    int warnings;               /* warnings libjpeg emitted (corrupt data it worked around) */
    char message[200];          /* libjpeg's message for the error, empty when status is OK */
    char first_warning[200];    /* the first warning's text, empty when there was none */
} tangle_jpeg_result;

/* Reads the header only: fills width, height, channels, components, color_space, progressive.
 * `grayscale` asks for 1 output channel for colour files. Returns result->status. */
int tangle_jpeg_read_header(const unsigned char *data, size_t size, int grayscale, tangle_jpeg_result *result);

/* Decodes into `out` (row-major, `channels` 8-bit samples per pixel, no padding), which must hold
 * exactly width * height * channels bytes as tangle_jpeg_read_header reported.
 *
 * Colour files become RGB (YCbCr converted by libjpeg; CMYK/YCCK converted here, Adobe inverted
 * CMYK understood). With `grayscale` set, colour files become grey: libjpeg then keeps only the Y
 * channel of YCbCr, which is BT.601 luma (0.299 R + 0.587 G + 0.114 B on the gamma-encoded values).
 *
 * Policy: data that ends early (libjpeg warns "Premature end of JPEG file" and would fill the rest
 * of the image with grey) stops the decode at once with TANGLE_JPEG_TRUNCATED; this includes a
 * file missing only its final EOI marker, since libjpeg notices the end while decoding the last
 * rows and cannot tell it apart from lost image data. A scan whose data stops at a marker
 * ("Corrupt JPEG data: premature end of data segment", again grey fill) stops the decode with
 * TANGLE_JPEG_CORRUPT. Other warnings (e.g. extraneous bytes before a marker) are counted and
 * the decode goes on.
 * `max_scans` (0 = unlimited) bounds the number of scans of a progressive file. */
int tangle_jpeg_decode(const unsigned char *data, size_t size, int grayscale, unsigned max_scans,
                       unsigned char *out, size_t out_size, tangle_jpeg_result *result);

/* Encodes `channels` (1 grey, 3 RGB, or 4 CMYK stored as given with an Adobe marker) 8-bit samples
 * per pixel as a baseline or progressive JPEG in memory.
 * On success *out holds a malloc'd buffer the caller frees with tangle_jpeg_free. Returns a
 * TANGLE_JPEG_* status, with libjpeg's message in `message` (200 bytes) on failure. For writing
 * test fixtures. */
int tangle_jpeg_encode(const unsigned char *pixels, unsigned width, unsigned height, int channels, int quality,
                       int progressive, unsigned char **out, unsigned long *out_size, char *message);

/* Frees a buffer from tangle_jpeg_encode. */
void tangle_jpeg_free(unsigned char *buffer);

#ifdef __cplusplus
}
#endif

#endif
