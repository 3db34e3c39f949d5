#include "jpeg_decode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* libjpeg's error manager plus the jump target and where to report. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    tangle_jpeg_result *result;
    unsigned max_scans; /* 0 = unlimited */
} tangle_error_mgr;

static int status_for(int code, int saw_eof) {
    switch (code) {
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOTIMPL:
    case JERR_NOT_COMPILED:
        return TANGLE_JPEG_UNSUPPORTED;
    case JERR_OUT_OF_MEMORY:
    case JERR_NO_BACKING_STORE:
        return TANGLE_JPEG_NO_MEMORY;
    case JERR_INPUT_EOF:
    case JERR_INPUT_EMPTY:
        return TANGLE_JPEG_TRUNCATED;
    default:
        /* A fatal error after the data ran out is a consequence of the truncation. */
        return saw_eof ? TANGLE_JPEG_TRUNCATED : TANGLE_JPEG_CORRUPT;
    }
}

/* Fatal error: record the message and jump back to the setjmp in the caller. */
static void tangle_error_exit(j_common_ptr cinfo) {
    tangle_error_mgr *err = (tangle_error_mgr *)cinfo->err;
    int saw_eof = err->result->status == TANGLE_JPEG_TRUNCATED;
    (*cinfo->err->format_message)(cinfo, err->result->message);
    err->result->status = status_for(cinfo->err->msg_code, saw_eof);
    longjmp(err->jump, 1);
}

/* Never print: keep the text of the first warning instead. */
static void tangle_output_message(j_common_ptr cinfo) {
    tangle_error_mgr *err = (tangle_error_mgr *)cinfo->err;
    if (err->result->first_warning[0] == 0) {
        (*cinfo->err->format_message)(cinfo, err->result->first_warning);
    }
}

/* Warnings (level -1) are counted. Two stop the decode at once: the data ends (JWRN_JPEG_EOF, the
 * file is cut) and a scan's data ends at a marker (JWRN_HIT_MARKER, the scan is short); libjpeg
 * would fill the rest of the image with grey. Trace messages (level >= 0) are ignored. */
static void tangle_emit_message(j_common_ptr cinfo, int msg_level) {
    tangle_error_mgr *err = (tangle_error_mgr *)cinfo->err;
    if (msg_level >= 0) return;
    err->result->warnings += 1;
    tangle_output_message(cinfo);
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) {
        (*cinfo->err->format_message)(cinfo, err->result->message);
        err->result->status = code == JWRN_JPEG_EOF ? TANGLE_JPEG_TRUNCATED : TANGLE_JPEG_CORRUPT;
        longjmp(err->jump, 1);
    }
}

/* Called by libjpeg while it works; bounds the number of scans. */
static void tangle_progress(j_common_ptr cinfo) {
    tangle_error_mgr *err = (tangle_error_mgr *)cinfo->err;
    if (!cinfo->is_decompressor || err->max_scans == 0) return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if ((unsigned)d->input_scan_number > err->max_scans) {
        snprintf(err->result->message, sizeof err->result->message,
                 "more than %u scans in a progressive JPEG", err->max_scans);
        err->result->status = TANGLE_JPEG_TOO_MANY_SCANS;
        longjmp(err->jump, 1);
    }
}

static void install(tangle_error_mgr *err, tangle_jpeg_result *result, unsigned max_scans) {
    memset(result, 0, sizeof *result);
    jpeg_std_error(&err->pub);
    err->pub.error_exit = tangle_error_exit;
    err->pub.output_message = tangle_output_message;
    err->pub.emit_message = tangle_emit_message;
    err->result = result;
    err->max_scans = max_scans;
}

static void describe(j_decompress_ptr cinfo, int grayscale, tangle_jpeg_result *result) {
    result->width = cinfo->image_width;
    result->height = cinfo->image_height;
    result->components = cinfo->num_components;
    result->color_space = cinfo->jpeg_color_space;
    result->progressive = cinfo->progressive_mode ? 1 : 0;
    result->channels = (grayscale || cinfo->jpeg_color_space == JCS_GRAYSCALE) ? 1 : 3;
}

/* The functions that call setjmp keep everything they use after a longjmp in a state the caller
 * owns, reached through a pointer parameter they never change: no object local to the function that
 * holds the setjmp is modified between setjmp and longjmp and read afterwards, so none needs to be
 * volatile (C11 7.13.2.1p3) and no volatile is ever cast away. */
typedef struct {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress;
    tangle_error_mgr err;
} decode_state;

static int read_header_in(decode_state *s, const unsigned char *data, size_t size, int grayscale, tangle_jpeg_result *result) {
    if (setjmp(s->err.jump)) {
        jpeg_destroy_decompress(&s->cinfo);
        return result->status;
    }
    jpeg_create_decompress(&s->cinfo);
    jpeg_mem_src(&s->cinfo, data, (unsigned long)size);
    jpeg_read_header(&s->cinfo, TRUE);
    describe(&s->cinfo, grayscale, result);
    jpeg_destroy_decompress(&s->cinfo);
    result->status = TANGLE_JPEG_OK;
    return TANGLE_JPEG_OK;
}

int tangle_jpeg_read_header(const unsigned char *data, size_t size, int grayscale, tangle_jpeg_result *result) {
    decode_state s;
    install(&s.err, result, 0);
    s.cinfo.err = &s.err.pub;
    return read_header_in(&s, data, size, grayscale, result);
}

static unsigned char clamp255(int v) { return (unsigned char)(v < 0 ? 0 : (v > 255 ? 255 : v)); }

/* One CMYK row to RGB or grey. Adobe files store CMYK inverted (255 = no ink). */
static void cmyk_row(const JSAMPLE *in, unsigned char *out, unsigned width, int inverted, int channels) {
    for (unsigned x = 0; x < width; x++) {
        int c = in[4 * x], m = in[4 * x + 1], y = in[4 * x + 2], k = in[4 * x + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        int r = (c * k + 127) / 255, g = (m * k + 127) / 255, b = (y * k + 127) / 255;
        if (channels == 3) {
            out[3 * x] = (unsigned char)r;
            out[3 * x + 1] = (unsigned char)g;
            out[3 * x + 2] = (unsigned char)b;
        } else {
            out[x] = clamp255((299 * r + 587 * g + 114 * b + 500) / 1000);
        }
    }
}

static int decode_in(decode_state *s, const unsigned char *data, size_t size, int grayscale, unsigned char *out, size_t out_size,
                     tangle_jpeg_result *result) {
    if (setjmp(s->err.jump)) {
        jpeg_destroy_decompress(&s->cinfo);
        return result->status;
    }
    j_decompress_ptr cinfo = &s->cinfo;
    jpeg_create_decompress(cinfo);
    s->progress.progress_monitor = tangle_progress;
    cinfo->progress = &s->progress;
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);
    describe(cinfo, grayscale, result);

    int cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
    if (cmyk) {
        cinfo->out_color_space = JCS_CMYK;
    } else {
        cinfo->out_color_space = result->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    }
    size_t channels = (size_t)result->channels;
    size_t row_bytes = (size_t)result->width * channels;
    if (out == NULL || out_size != row_bytes * result->height) {
        snprintf(result->message, sizeof result->message, "output buffer of %zu bytes for a %ux%ux%d image",
                 out_size, result->width, result->height, result->channels);
        result->status = TANGLE_JPEG_BAD_ARGUMENT;
        jpeg_destroy_decompress(cinfo);
        return result->status;
    }
    jpeg_start_decompress(cinfo);
    if (cinfo->output_width != result->width || cinfo->output_height != result->height) {
        ERREXIT(cinfo, JERR_NOTIMPL);
    }
    JSAMPARRAY cmyk_buffer = NULL;
    if (cmyk) {
        cmyk_buffer = (*cinfo->mem->alloc_sarray)((j_common_ptr)cinfo, JPOOL_IMAGE, cinfo->output_width * 4, 1);
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        unsigned char *row = out + (size_t)cinfo->output_scanline * row_bytes;
        if (cmyk) {
            jpeg_read_scanlines(cinfo, cmyk_buffer, 1);
            cmyk_row(cmyk_buffer[0], row, cinfo->output_width, cinfo->saw_Adobe_marker, result->channels);
        } else {
            JSAMPROW rows[1] = {row};
            jpeg_read_scanlines(cinfo, rows, 1);
        }
    }
    jpeg_finish_decompress(cinfo);
    jpeg_destroy_decompress(cinfo);
    result->status = TANGLE_JPEG_OK;
    return TANGLE_JPEG_OK;
}

int tangle_jpeg_decode(const unsigned char *data, size_t size, int grayscale, unsigned max_scans,
                       unsigned char *out, size_t out_size, tangle_jpeg_result *result) {
    decode_state s;
    install(&s.err, result, max_scans);
    s.cinfo.err = &s.err.pub;
    return decode_in(&s, data, size, grayscale, out, out_size, result);
}

/* An in-memory destination this file owns (rather than jpeg_mem_dest, whose buffer, once grown,
 * is known only to libjpeg until the compression finishes): `buffer` is always the one live
 * allocation, so it can be freed after an error at any point. */
typedef struct {
    struct jpeg_destination_mgr pub;
    unsigned char *buffer; /* malloc'd; NULL before init_destination */
    size_t capacity;
} memory_destination;

static void destination_init(j_compress_ptr cinfo) {
    memory_destination *d = (memory_destination *)cinfo->dest;
    d->capacity = 65536;
    d->buffer = malloc(d->capacity);
    if (d->buffer == NULL) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    d->pub.next_output_byte = d->buffer;
    d->pub.free_in_buffer = d->capacity;
}

/* libjpeg calls this when the whole buffer is full: double it. */
static boolean destination_grow(j_compress_ptr cinfo) {
    memory_destination *d = (memory_destination *)cinfo->dest;
    size_t grown = d->capacity * 2;
    unsigned char *bigger = realloc(d->buffer, grown);
    if (bigger == NULL) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 1); /* d->buffer is still valid: the caller frees it */
    d->buffer = bigger;
    d->pub.next_output_byte = bigger + d->capacity;
    d->pub.free_in_buffer = grown - d->capacity;
    d->capacity = grown;
    return TRUE;
}

static void destination_term(j_compress_ptr cinfo) { (void)cinfo; /* the length is capacity - free_in_buffer */ }

typedef struct {
    struct jpeg_compress_struct cinfo;
    tangle_error_mgr err;
    memory_destination destination;
} encode_state;

/* 0 on success; otherwise the status is in the error manager's result. */
static int encode_in(encode_state *s, const unsigned char *pixels, unsigned width, unsigned height, int channels, int quality,
                     int progressive) {
    if (setjmp(s->err.jump)) {
        jpeg_destroy_compress(&s->cinfo);
        return 1;
    }
    j_compress_ptr cinfo = &s->cinfo;
    jpeg_create_compress(cinfo);
    cinfo->dest = &s->destination.pub;
    cinfo->image_width = width;
    cinfo->image_height = height;
    cinfo->input_components = channels;
    cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : (channels == 3 ? JCS_RGB : JCS_CMYK);
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(cinfo);
    jpeg_start_compress(cinfo, TRUE);
    size_t row_bytes = (size_t)width * (size_t)channels;
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW rows[1] = {(JSAMPROW)(pixels + (size_t)cinfo->next_scanline * row_bytes)};
        jpeg_write_scanlines(cinfo, rows, 1);
    }
    jpeg_finish_compress(cinfo);
    jpeg_destroy_compress(cinfo);
    return 0;
}

int tangle_jpeg_encode(const unsigned char *pixels, unsigned width, unsigned height, int channels, int quality,
                       int progressive, unsigned char **out, unsigned long *out_size, char *message) {
    encode_state s;
    tangle_jpeg_result result;
    install(&s.err, &result, 0);
    *out = NULL;
    *out_size = 0;
    if (channels != 1 && channels != 3 && channels != 4) {
        snprintf(message, 200, "%d channels: only 1 (grey), 3 (RGB) or 4 (CMYK) can be encoded", channels);
        return TANGLE_JPEG_BAD_ARGUMENT;
    }
    memset(&s.destination, 0, sizeof s.destination);
    s.destination.pub.init_destination = destination_init;
    s.destination.pub.empty_output_buffer = destination_grow;
    s.destination.pub.term_destination = destination_term;
    s.cinfo.err = &s.err.pub;
    if (encode_in(&s, pixels, width, height, channels, quality, progressive) != 0) {
        memcpy(message, result.message, sizeof result.message);
        free(s.destination.buffer);
        return result.status;
    }
    *out = s.destination.buffer;
    *out_size = (unsigned long)(s.destination.capacity - s.destination.pub.free_in_buffer);
    message[0] = 0;
    return TANGLE_JPEG_OK;
}

void tangle_jpeg_free(unsigned char *buffer) { free(buffer); }
