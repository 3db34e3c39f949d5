#include "kernel_level.h"
#include <pthread.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

static int best_level = 0;
static int amx = 0;
static int forced = 0; /* read and written with relaxed atomics */

/* Runs once, when the library is loaded, before any thread computes. */
__attribute__((constructor)) static void choose_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    int level = avx512 ? 2 : avx2 ? 1 : 0;
    const char *env = getenv("TANGLE_INT8_PORTABLE");
    if (env && *env == '1' && level > 1) level = 1;
    if (env && *env == '2') level = 0;
    best_level = level;
    /* AMX-INT8: the processor has it (CPUID.7.0:EDX bits 24, 25), the OS saves the tile state
       (XCR0 bits 17, 18), and Linux lets this process use the tile data (ARCH_REQ_XCOMP_PERM). */
    unsigned a, b, c, d;
    if (level == 2 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 24 & 3) == 3) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        const long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
        if ((lo >> 17 & 3) == 3 && syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0) amx = 1;
    }
    const char *off = getenv("TANGLE_NO_AMX");
    if ((off && *off == '1') || level < 2) amx = 0;
#endif
}

int tangle_amx_available(void) { return amx && tangle_kernel_level() == 2 && __atomic_load_n(&forced, __ATOMIC_RELAXED) == 0; }

void tangle_kernels_force(int level) { __atomic_store_n(&forced, level, __ATOMIC_RELAXED); }

static pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;

void tangle_kernels_hold(int level) {
    pthread_mutex_lock(&hold);
    tangle_kernels_force(level);
}

void tangle_kernels_release(void) {
    tangle_kernels_force(0);
    pthread_mutex_unlock(&hold);
}

int tangle_kernel_level(void) {
    int level = best_level, f = __atomic_load_n(&forced, __ATOMIC_RELAXED);
    if (f == 1 && level > 1) level = 1;
    if (f == 2) level = 0;
    return level;
}
