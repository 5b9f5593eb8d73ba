/**
 * (being written)
 * @module
 */
export {};
