//! Image output: PNG grids of samples, optionally labelled with their digit.
//!
//! Sample sets for scoring are written as IDX files with
//! [`ImageSet::write_idx`](crate::dataset::ImageSet::write_idx); this module draws them for people.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::dataset::{IMAGE_SIDE, ImageSet, NUM_CLASSES};
use crate::error::{Error, Result};
use qfile::write_atomic;

/// Layout of a PNG grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridConfig {
    /// Images per row.
    pub columns: usize,
    /// Each image pixel becomes a `scale x scale` block.
    pub scale: usize,
    /// Grey border around every cell, in output pixels.
    pub padding: usize,
}

impl Default for GridConfig {
    fn default() -> Self {
        GridConfig { columns: 10, scale: 2, padding: 2 }
    }
}

/// Brightness of the border between cells (the digits are white on black).
const BORDER: u8 = 96;

/// A 5 x 7 bitmap font for the digits 0-9, one row per byte (bit 4 = leftmost column).
const DIGIT_GLYPHS: [[u8; 7]; 10] = [
    [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
    [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
    [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
    [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
    [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
    [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
    [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
    [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
    [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
    [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
];

/// A greyscale raster being drawn.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, value: u8) {
        for row in y..(y + h).min(self.height) {
            let start = row * self.width + x.min(self.width);
            let end = row * self.width + (x + w).min(self.width);
            self.pixels[start..end].fill(value);
        }
    }
}

impl GridConfig {
    fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| Err(Error::InvalidConfig { field, reason: reason.into() });
        if self.columns == 0 {
            return bad("columns", "must be at least 1");
        }
        if self.scale == 0 || self.scale > 16 {
            return bad("scale", "must be 1 to 16");
        }
        if self.padding > 64 {
            return bad("padding", "must be at most 64");
        }
        Ok(())
    }
}

/// Draws `images` as a grid, each with its digit written below when `labels` are given, and
/// returns the PNG file bytes (8-bit greyscale).
pub fn encode_png_grid(
    images: &ImageSet,
    labels: Option<&[u8]>,
    config: &GridConfig,
) -> Result<Vec<u8>> {
    config.validate()?;
    if images.is_empty() {
        return Err(Error::TooFewSamples { what: "a PNG grid", min: 1, got: 0 });
    }
    if let Some(labels) = labels {
        if labels.len() != images.len() {
            return Err(Error::DimensionMismatch {
                what: "labels (one per image)",
                expected: images.len(),
                got: labels.len(),
            });
        }
        if let Some(&bad) = labels.iter().find(|&&l| usize::from(l) >= NUM_CLASSES) {
            return Err(Error::InvalidConfig {
                field: "labels",
                reason: format!("{bad} is not a digit"),
            });
        }
    }
    let GridConfig { columns, scale, padding } = *config;
    let columns = columns.min(images.len());
    let rows = images.len().div_ceil(columns);
    let side = IMAGE_SIDE * scale;
    // The label strip holds a 5 x 7 glyph at `scale`, with a pixel of margin above and below.
    let label_height = if labels.is_some() { 9 * scale } else { 0 };
    let cell_w = side + padding;
    let cell_h = side + label_height + padding;
    let mut canvas = Canvas {
        width: columns * cell_w + padding,
        height: rows * cell_h + padding,
        pixels: Vec::new(),
    };
    canvas.pixels = vec![BORDER; canvas.width * canvas.height];
    for (i, image) in images.iter().enumerate() {
        let x0 = padding + (i % columns) * cell_w;
        let y0 = padding + (i / columns) * cell_h;
        for (p, &v) in image.iter().enumerate() {
            let (r, c) = (p / IMAGE_SIDE, p % IMAGE_SIDE);
            canvas.fill_rect(x0 + c * scale, y0 + r * scale, scale, scale, v);
        }
        if let Some(labels) = labels {
            let ly = y0 + side;
            canvas.fill_rect(x0, ly, side, label_height, 0);
            let glyph = &DIGIT_GLYPHS[usize::from(labels[i])];
            let gx = x0 + (side - 5 * scale) / 2;
            for (gr, bits) in glyph.iter().enumerate() {
                for gc in 0..5 {
                    if bits & (1 << (4 - gc)) != 0 {
                        canvas.fill_rect(
                            gx + gc * scale,
                            ly + scale + gr * scale,
                            scale,
                            scale,
                            255,
                        );
                    }
                }
            }
        }
    }
    let too_big =
        || Error::InvalidConfig { field: "columns/scale", reason: "image too large".into() };
    let width = u32::try_from(canvas.width).map_err(|_| too_big())?;
    let height = u32::try_from(canvas.height).map_err(|_| too_big())?;
    let mut out = Vec::new();
    let png_error =
        |e: png::EncodingError| Error::Png { path: "<memory>".into(), reason: e.to_string() };
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&canvas.pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

/// Writes `images` as a PNG grid to `path` (atomically), labelled when `labels` are given.
pub fn write_png_grid(
    path: impl AsRef<Path>,
    images: &ImageSet,
    labels: Option<&[u8]>,
    config: &GridConfig,
) -> Result<()> {
    let path = path.as_ref();
    let bytes = encode_png_grid(images, labels, config).map_err(|e| match e {
        Error::Png { reason, .. } => Error::Png { path: path.to_path_buf(), reason },
        other => other,
    })?;
    Ok(write_atomic(path, &bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::IMAGE_PIXELS;

    #[test]
    fn grid_has_the_expected_size_and_decodes() {
        let images = ImageSet::new(vec![200; 3 * IMAGE_PIXELS]).unwrap();
        let config = GridConfig { columns: 2, scale: 1, padding: 1 };
        let bytes = encode_png_grid(&images, Some(&[1, 2, 3]), &config).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width as usize, 2 * (28 + 1) + 1);
        assert_eq!(info.height as usize, 2 * (28 + 9 + 1) + 1);
        assert!(encode_png_grid(&images, Some(&[1, 2]), &config).is_err());
        assert!(encode_png_grid(&images, Some(&[1, 2, 10]), &config).is_err());
    }
}
