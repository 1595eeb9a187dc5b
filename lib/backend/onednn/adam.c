/*
 * edegan: one Adam step over many weight tensors, on the cores OpenMP gives (the onednn backend's
 * `EdeganAdamUpdateFlat`; lib/backend/onednn/native_adam.ts builds and loads it).
 *
 * The same float32 operations in the same order as the wasm SIMD kernel
 * (lib/backend/wasm_kernels/_simd_adam.ts) and PyTorch's torch.optim.Adam:
 *   m' = m*b1 + g*(1-b1);  v' = v*b2 + (g*g)*(1-b2);  p' = p - (m' / (sqrt(v'/c2) + eps)) * step
 * Each operation is one correctly rounded IEEE float32 operation (built with -ffp-contract=off and
 * without -ffast-math: no fused multiply-add, no reciprocal estimates), so the bits do not depend
 * on the vector width or on how the elements are split between threads.
 *
 * heap: the wasm heap's first byte. table: count rows of six 32-bit words, one per weight tensor:
 * the byte offsets in the heap of p, g, p', m, v and the element count n. m and v are updated in
 * place; p' may not overlap p, g, m or v. k: b1, 1-b1, b2, 1-b2, c2, eps, step. The elements of
 * all rows together are split into one contiguous range for each of `threads` threads (the
 * backend's `--threads`; one thread under 64 K elements: waking the others costs more than it
 * saves).
 */
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* One element, scalar: the operations of the vector loop below, in the same order. */
static inline void adam_one(const float *restrict p, const float *restrict g, float *restrict out,
                            float *restrict m, float *restrict v, int64_t i, const float *k) {
  const float gi = g[i];
  const float mi = m[i] * k[0] + gi * k[1];
  const float vi = v[i] * k[2] + (gi * gi) * k[3];
  m[i] = mi;
  v[i] = vi;
  out[i] = p[i] - (mi / (__builtin_sqrtf(vi / k[4]) + k[5])) * k[6];
}

static void adam_range(char *heap, const uint32_t *row, int64_t from, int64_t to,
                       const float *k) {
  const float *restrict p = (const float *)(heap + row[0]);
  const float *restrict g = (const float *)(heap + row[1]);
  float *restrict out = (float *)(heap + row[2]);
  float *restrict m = (float *)(heap + row[3]);
  float *restrict v = (float *)(heap + row[4]);
  int64_t i = from;
#if defined(__SSE2__)
  /* p' with streaming stores (it is not read again in this step: no read of its old contents
   * into the cache), four elements at a time once p' is 16-byte aligned; the same operations. */
  for (; i < to && ((uintptr_t)(out + i) & 15) != 0; i++) adam_one(p, g, out, m, v, i, k);
  const __m128 B1 = _mm_set1_ps(k[0]), OB1 = _mm_set1_ps(k[1]), B2 = _mm_set1_ps(k[2]);
  const __m128 OB2 = _mm_set1_ps(k[3]), C2 = _mm_set1_ps(k[4]), EPS = _mm_set1_ps(k[5]);
  const __m128 STEP = _mm_set1_ps(k[6]);
  for (; i + 4 <= to; i += 4) {
    const __m128 gi = _mm_loadu_ps(g + i);
    const __m128 mi = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + i), B1), _mm_mul_ps(gi, OB1));
    const __m128 vi =
        _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + i), B2), _mm_mul_ps(_mm_mul_ps(gi, gi), OB2));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    const __m128 denominator = _mm_add_ps(_mm_sqrt_ps(_mm_div_ps(vi, C2)), EPS);
    _mm_stream_ps(out + i,
                  _mm_sub_ps(_mm_loadu_ps(p + i), _mm_mul_ps(_mm_div_ps(mi, denominator), STEP)));
  }
#endif
  for (; i < to; i++) adam_one(p, g, out, m, v, i, k);
}

/* The version of this interface; native_adam.ts checks it after loading. */
int32_t edegan_adam_version(void) { return 3; }

void edegan_adam_flat(char *heap, const uint32_t *table, int32_t count, const float *k,
                      int32_t threads) {
  int64_t total = 0;
  for (int32_t r = 0; r < count; r++) total += (int64_t)table[6 * r + 5];
#pragma omp parallel num_threads(threads) if (total >= 65536)
  {
#ifdef _OPENMP
    extern int omp_get_thread_num(void);
    extern int omp_get_num_threads(void);
    const int64_t team = omp_get_num_threads(), me = omp_get_thread_num();
#else
    const int64_t team = 1, me = 0;
    (void)threads;
#endif
    /* This thread's elements [start, end) of all rows together, in multiples of 16. */
    const int64_t share = ((total + team - 1) / team + 15) / 16 * 16;
    const int64_t start = me * share < total ? me * share : total;
    const int64_t end = start + share < total ? start + share : total;
    int64_t first = 0; /* the first element of row r among all rows' */
    for (int32_t r = 0; r < count && first < end; r++) {
      const int64_t n = (int64_t)table[6 * r + 5];
      const int64_t from = start > first ? start - first : 0;
      const int64_t to = end - first < n ? end - first : n;
      if (from < to) adam_range(heap, table + 6 * r, from, to, k);
      first += n;
    }
#if defined(__SSE2__)
    _mm_sfence(); /* the streamed stores visible before the threads join */
#endif
  }
}
