/* jpeglib.h is not self-contained: it needs FILE and size_t first. */
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>
#include <jerror.h>
