//! MNIST images and labels: in-memory sets, the IDX files they come from, and the MNIST directory.

use std::path::{Path, PathBuf};

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::idx::IdxArray;

/// Height and width of an MNIST image in pixels.
pub const IMAGE_SIDE: usize = 28;

/// Pixels per MNIST image (28 x 28).
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// Number of digit classes.
pub const NUM_CLASSES: usize = 10;

/// A set of 28x28 greyscale images, one byte per pixel (0 = background), row-major.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageSet {
    pixels: Vec<u8>,
}

impl ImageSet {
    /// Wraps concatenated images; `pixels.len()` must be a multiple of 784.
    pub fn new(pixels: Vec<u8>) -> Result<Self> {
        if pixels.len() % IMAGE_PIXELS != 0 {
            return Err(Error::DimensionMismatch {
                what: "image pixels (a multiple of 784)",
                expected: pixels.len().next_multiple_of(IMAGE_PIXELS),
                got: pixels.len(),
            });
        }
        Ok(ImageSet { pixels })
    }

    /// Reads an IDX file of shape N x 28 x 28 (gzip or raw).
    pub fn read_idx(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let array = IdxArray::read(path)?;
        if array.dims().len() != 3 || array.dims()[1..] != [IMAGE_SIDE, IMAGE_SIDE] {
            return Err(Error::WrongDimensions {
                path: path.to_path_buf(),
                expected: "N x 28 x 28 images".into(),
                found: array.dims().to_vec(),
            });
        }
        let (_, data) = array.into_parts();
        Ok(ImageSet { pixels: data })
    }

    /// Writes the set as an IDX file of shape N x 28 x 28 (gzip if the name ends in `.gz`).
    pub fn write_idx(&self, path: impl AsRef<Path>) -> Result<()> {
        IdxArray::new(vec![self.len(), IMAGE_SIDE, IMAGE_SIDE], self.pixels.clone())?.write(path)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len() / IMAGE_PIXELS
    }

    /// Whether the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    /// The 784 pixels of image `i`, or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        self.pixels.get(i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS)
    }

    /// Iterates over the images.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.pixels.chunks_exact(IMAGE_PIXELS)
    }

    /// All pixels, image after image.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Result<ImageSet> {
        let mut pixels = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        for &i in indices {
            let image = self.image(i).ok_or(Error::DimensionMismatch {
                what: "image index (must be below the set size)",
                expected: self.len(),
                got: i,
            })?;
            pixels.extend_from_slice(image);
        }
        Ok(ImageSet { pixels })
    }

    /// The images as columns of a 784 x N matrix with intensities in [0, 1].
    pub fn to_matrix(&self) -> DMatrix<f32> {
        DMatrix::from_iterator(
            IMAGE_PIXELS,
            self.len(),
            self.pixels.iter().map(|&p| f32::from(p) / 255.0),
        )
    }

    /// Quantises a 784 x N matrix of intensities (clamped to [0, 1]) to bytes.
    pub fn from_matrix(matrix: &DMatrix<f32>) -> Result<ImageSet> {
        if matrix.nrows() != IMAGE_PIXELS {
            return Err(Error::DimensionMismatch {
                what: "pixel rows of an image matrix",
                expected: IMAGE_PIXELS,
                got: matrix.nrows(),
            });
        }
        if matrix.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "image matrix" });
        }
        let pixels = matrix.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
        Ok(ImageSet { pixels })
    }
}

/// Images with their digit labels (0-9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabeledImages {
    images: ImageSet,
    labels: Vec<u8>,
}

impl LabeledImages {
    /// Pairs images with labels; the counts must agree and every label must be 0-9.
    pub fn new(images: ImageSet, labels: Vec<u8>) -> Result<Self> {
        if images.len() != labels.len() {
            return Err(Error::DimensionMismatch {
                what: "labels (one per image)",
                expected: images.len(),
                got: labels.len(),
            });
        }
        if let Some(&bad) = labels.iter().find(|&&l| usize::from(l) >= NUM_CLASSES) {
            return Err(Error::InvalidConfig {
                field: "labels",
                reason: format!("label {bad} is not a digit 0-9"),
            });
        }
        Ok(LabeledImages { images, labels })
    }

    /// Reads an image file (N x 28 x 28) and its label file (N), gzip or raw.
    pub fn read_idx(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<Self> {
        let labels_path = labels.as_ref();
        let images = ImageSet::read_idx(images)?;
        let array = IdxArray::read(labels_path)?;
        if array.dims().len() != 1 {
            return Err(Error::WrongDimensions {
                path: labels_path.to_path_buf(),
                expected: "a 1-dimensional label vector".into(),
                found: array.dims().to_vec(),
            });
        }
        let (_, labels) = array.into_parts();
        if labels.len() != images.len() {
            return Err(Error::InvalidLabels {
                path: labels_path.to_path_buf(),
                reason: format!("{} labels for {} images", labels.len(), images.len()),
            });
        }
        if let Some((i, &bad)) = labels.iter().enumerate().find(|(_, l)| usize::from(**l) >= 10) {
            return Err(Error::InvalidLabels {
                path: labels_path.to_path_buf(),
                reason: format!("label {bad} at index {i} is not a digit 0-9"),
            });
        }
        Ok(LabeledImages { images, labels })
    }

    /// The images.
    pub fn images(&self) -> &ImageSet {
        &self.images
    }

    /// The labels, one per image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The examples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Result<LabeledImages> {
        let images = self.images.select(indices)?;
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        Ok(LabeledImages { images, labels })
    }

    /// The [`qfile::Fingerprint`] of the pixels, labels and count, to tell data sets apart in
    /// caches.
    pub fn fingerprint(&self) -> u64 {
        qfile::Fingerprint::new()
            .update(self.images.pixels())
            .update(&self.labels)
            .update_u64(self.len() as u64)
            .finish()
    }
}

/// The MNIST training and test splits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mnist {
    /// The training split (8,000 images in the bundled subset, 60,000 in full MNIST).
    pub train: LabeledImages,
    /// The held-out split (2,000 in the bundled subset, 10,000 in full MNIST).
    pub test: LabeledImages,
}

impl Mnist {
    /// Loads the four MNIST files from `dir`, accepting the standard names with or without `.gz`
    /// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
    /// `t10k-labels-idx1-ubyte`, also spelt with a `.` before `idx`).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let train = LabeledImages::read_idx(
            find_file(dir, "train", "images", "idx3")?,
            find_file(dir, "train", "labels", "idx1")?,
        )?;
        let test = LabeledImages::read_idx(
            find_file(dir, "t10k", "images", "idx3")?,
            find_file(dir, "t10k", "labels", "idx1")?,
        )?;
        Ok(Mnist { train, test })
    }
}

/// Training digits held out for validation by [`Mnist::split_validation`] in the workspace's
/// experiments: 1,000 of the bundled 8,000.
pub const VALIDATION_SIZE: usize = 1_000;

/// MNIST with a validation split held out of the training digits.
///
/// Models are fitted on `train`; every choice (defaults, sweeps, checkpoint selection) is made on
/// `validation`; `test` scores each reported configuration once. The FID classifier, the
/// measuring instrument shared by every example, is trained on the whole training split of
/// [`Mnist`] (it never sees a test digit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistSplits {
    /// The training digits left for fitting models.
    pub train: LabeledImages,
    /// The held-out training digits every choice is made on.
    pub validation: LabeledImages,
    /// The test digits, scored once per reported configuration.
    pub test: LabeledImages,
}

impl Mnist {
    /// Holds out `count` training digits as a validation split: the digits at indices
    /// `floor(i n / count)` for `i < count` (every eighth for 1,000 of 8,000), an even spread
    /// over the file's order, so the split does not depend on any random generator.
    pub fn split_validation(&self, count: usize) -> Result<MnistSplits> {
        let n = self.train.len();
        if count == 0 || count >= n {
            return Err(Error::InvalidConfig {
                field: "validation size",
                reason: format!("must lie in 1..{n} (the training digits), got {count}"),
            });
        }
        let mut held = vec![false; n];
        for i in 0..count {
            held[i * n / count] = true;
        }
        let (validation, train): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| held[i]);
        Ok(MnistSplits {
            train: self.train.select(&train)?,
            validation: self.train.select(&validation)?,
            test: self.test.clone(),
        })
    }
}

/// Finds the first existing spelling of one MNIST file in `dir`.
fn find_file(dir: &Path, split: &str, what: &str, idx: &str) -> Result<PathBuf> {
    let candidates: Vec<String> = ['-', '.']
        .iter()
        .flat_map(|sep| {
            let base = format!("{split}-{what}{sep}{idx}-ubyte");
            [format!("{base}.gz"), base]
        })
        .collect();
    candidates.iter().map(|name| dir.join(name)).find(|path| path.is_file()).ok_or_else(|| {
        Error::MissingFile { dir: dir.to_path_buf(), candidates: candidates.clone() }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_round_trip_is_exact_for_bytes() {
        let pixels: Vec<u8> = (0..2 * IMAGE_PIXELS).map(|i| (i * 7 % 256) as u8).collect();
        let set = ImageSet::new(pixels).unwrap();
        assert_eq!(ImageSet::from_matrix(&set.to_matrix()).unwrap(), set);
    }

    #[test]
    fn validation_is_an_even_spread_of_the_training_split() {
        let pixels: Vec<u8> = (0..20 * IMAGE_PIXELS).map(|i| (i / IMAGE_PIXELS) as u8).collect();
        let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
        let train = LabeledImages::new(ImageSet::new(pixels).unwrap(), labels).unwrap();
        let mnist = Mnist { train, test: LabeledImages::default() };
        let splits = mnist.split_validation(5).unwrap();
        let first_pixels = |set: &LabeledImages| -> Vec<u8> {
            set.images().iter().map(|image| image[0]).collect()
        };
        assert_eq!(first_pixels(&splits.validation), [0, 4, 8, 12, 16]);
        assert_eq!(splits.train.len(), 15);
        assert!(first_pixels(&splits.train).iter().all(|p| p % 4 != 0));
        assert!(mnist.split_validation(0).is_err() && mnist.split_validation(20).is_err());
    }

    #[test]
    fn rejects_bad_shapes_and_labels() {
        assert!(ImageSet::new(vec![0; 783]).is_err());
        let set = ImageSet::new(vec![0; IMAGE_PIXELS]).unwrap();
        assert!(LabeledImages::new(set.clone(), vec![1, 2]).is_err());
        assert!(LabeledImages::new(set, vec![10]).is_err());
    }
}
