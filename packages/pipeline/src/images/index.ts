export type { ColourProfile } from './colour-profile.ts';
export { colourProfile, hasFewColours } from './colour-profile.ts';
export type { RawImage } from './dhash.ts';
export { differenceHash, hammingDistance } from './dhash.ts';
export type {
  ImageInput,
  ImagePreparation,
  ImagePreparer,
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
