/**
 * Every operator's shape rule, by op type, in one table: each family of operators keeps its
 * rules in its own module, and this is the one place they are put together.
 */
import type { Rule } from './context';
import { CONSTANT_RULES } from './constants';
import { CONV_POOL_RULES } from './conv-pool';
import { ELEMENTWISE_RULES } from './elementwise';
import { INDEXING_RULES } from './indexing';
import { MATMUL_RULES } from './matmul';
import { REDUCE_RULES } from './reduce';
import { SEQUENCE_RULES } from './sequence';
import { SHAPE_RULES } from './shape-ops';

export const RULES: Readonly<Record<string, Rule>> = {
  ...ELEMENTWISE_RULES,
  ...MATMUL_RULES,
  ...CONV_POOL_RULES,
  ...SHAPE_RULES,
  ...INDEXING_RULES,
  ...CONSTANT_RULES,
  ...REDUCE_RULES,
  ...SEQUENCE_RULES,
};
