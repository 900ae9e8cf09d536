/** Downloading a model from the Hugging Face hub (see ./download.ts for the whole procedure). */
export * from './repository';
export { fileMetadata } from './transfer';
export { downloadModel } from './download';
