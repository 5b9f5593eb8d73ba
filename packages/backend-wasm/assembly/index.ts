// The kernel module's exports. Every `task_*` function has the signature (args, chunk, tid): the
// host writes the arguments at ARGS, then runs chunks 0..n-1 on the calling thread or spreads them
// over the worker threads (src/pool.ts), each worker having instantiated this same module over the
// same shared memory. Both sides list the task names from the module's exports in one sorted order.
export { task_copy, task_fill, task_transpose } from './copy';
export { task_unary_f32, task_unary_i32, task_clamp_f32, task_clamp_i32, task_binary, task_where } from './elementwise';
export { task_reduce, task_reduce_partial, task_argreduce, task_cumsum } from './reduce';
export { task_matmul, task_matmul_i32, task_linear } from './gemm';
export { task_conv, task_conv_transpose } from './conv';
export { task_maxpool, task_avgpool, task_interpolate } from './pool';
export { task_gather, task_index_select, task_scatter_add } from './indexing';
export { task_softmax, task_layernorm, task_groupnorm } from './nn';
export { task_attention } from './attention';
export { init_constants } from './vmath';
import { MR, NR, KC, MC, NC, GEMM_WS } from './gemm';

/** GEMM blocking of this build: [MR, NR, KC, MC, NC, workspace bytes]. */
export function gemm_params(i: i32): i32 {
  if (i == 0) return MR;
  if (i == 1) return NR;
  if (i == 2) return KC;
  if (i == 3) return MC;
  if (i == 4) return NC;
  return <i32>GEMM_WS;
}
