/**
 * DiT (Peebles & Xie 2023), faithful to facebookresearch/DiT: the model with the reference's
 * state-dict names, its configurations, and the sample.py recipe.
 * @module
 */
export { DiT, type DiTForwardOptions, type DiTOptions, createDiT } from './model.js';
export { DIT_DEFAULTS, DIT_NAMES, type DiTConfig, type DiTName, ditConfig, ditParameterCount, ditStateDictShapes } from './configs.js';
export { DiTBlock, type DiTBlockOptions, FinalLayer, Mlp as DiTMlp, modulate } from './block.js';
export { LabelEmbedder, PatchEmbed, TimestepEmbedder, timestepEmbedding } from './embed.js';
export { sincosPosEmbed1d, sincosPosEmbed2d } from './pos-embed.js';
export { type SampleDiTOptions, sampleDiT } from './sample.js';
