// The CPU's peak multiply-add rate in float32 FMA (VFMADD231PS) against bf16 dot products (VDPBF16PS), one core,
// the ceiling any bf16 kernel without AMX can reach:
//
//     cc -O2 -mavx512f -mavx512bf16 benchmarks/bf16_peak.c -o /tmp/bf16_peak && /tmp/bf16_peak
//
// Each loop keeps 12 independent accumulators busy (more than latency x throughput), so it runs at the
// instructions' throughput. A 512-bit FMA does 16 multiply-adds; a 512-bit VDPBF16PS does 32 (pairs of bf16
// products added into 16 float32 sums). The best of 7 alternating runs is reported (the machine may be shared).
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { iterations = 5000000, accumulators = 12 };

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time);  // CPU time: a shared machine preempts us
    return time.tv_sec + time.tv_nsec * 1e-9;
}

// Billions of multiply-adds per second of each kind; the sums are printed so the loops are not removed.
static double fp32_rate(float *sink) {
    __m512 sum[accumulators];
    for (int i = 0; i < accumulators; i++) sum[i] = _mm512_set1_ps((float)i);
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-7f);
    double start = now();
    for (long n = 0; n < iterations; n++)
#pragma GCC unroll 12
        for (int i = 0; i < accumulators; i++) sum[i] = _mm512_fmadd_ps(a, sum[i], b);
    double seconds = now() - start;
    for (int i = 0; i < accumulators; i++) *sink += _mm512_reduce_add_ps(sum[i]);
    return 16.0 * accumulators * iterations / seconds / 1e9;
}

static double bf16_rate(float *sink) {
    __m512 sum[accumulators];
    for (int i = 0; i < accumulators; i++) sum[i] = _mm512_set1_ps((float)i);
    __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-7f), _mm512_set1_ps(1e-7f));
    __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.5f));
    double start = now();
    for (long n = 0; n < iterations; n++)
#pragma GCC unroll 12
        for (int i = 0; i < accumulators; i++) sum[i] = _mm512_dpbf16_ps(sum[i], a, b);
    double seconds = now() - start;
    for (int i = 0; i < accumulators; i++) *sink += _mm512_reduce_add_ps(sum[i]);
    return 32.0 * accumulators * iterations / seconds / 1e9;
}

int main(void) {
    float sink = 0;
    double fp32 = 0, bf16 = 0;
    for (int run = 0; run < 7; run++) {
        double f = fp32_rate(&sink), b = bf16_rate(&sink);
        fp32 = f > fp32 ? f : fp32;
        bf16 = b > bf16 ? b : bf16;
    }
    printf("one core: float32 FMA %.1f G multiply-adds/s, bf16 VDPBF16PS %.1f G multiply-adds/s, bf16/fp32 %.2fx (checksum %g)\n",
           fp32, bf16, bf16 / fp32, sink);
    return 0;
}
