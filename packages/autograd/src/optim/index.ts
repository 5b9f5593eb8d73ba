/**
 * `optim`: optimizers with PyTorch's update rules (SGD, Adam, AdamW), learning-rate schedules,
 * gradient clipping and an EMA of parameters.
 * @module
 */
export * from './optimizer.js';
export * from './sgd.js';
export * from './adam.js';
export * from './lr_scheduler.js';
export * from './clip.js';
export * from './ema.js';
