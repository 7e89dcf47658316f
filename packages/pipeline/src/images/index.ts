export type { ImageAnalysis, ImageAnalysisRequest } from './analyse-image.ts';
export { hammingDistance } from './hamming-distance.ts';
export type {
  ImageInput,
  ImagePreparation,
  ImagePreparer,
  ImagePreparerContext,
  ImageSkipReason,
  PreparedImage,
  PrepareImagesOptions,
} from './prepare-images.ts';
export {
  createImagePreparer,
  DEFAULT_PREPARE_IMAGES_OPTIONS,
  prepareImages,
  resolvePrepareImagesOptions,
} from './prepare-images.ts';
