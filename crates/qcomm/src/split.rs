//! The split of `N` items over the ranks, and the gather of their results in global order.

use std::ops::Range;

use crate::collective::Collective;
use crate::error::{Error, Result};

/// The items of `rank` when `total` items are split over `size` ranks: contiguous blocks in
/// rank order, the first `total % size` ranks holding one item more. The blocks of all ranks
/// concatenated are `0..total`, so gathering per-item results in rank order gives them in
/// global order whatever `size` is. (`size` 0 is taken as 1.)
///
/// ```
/// let blocks: Vec<_> = (0..3).map(|r| qcomm::block(8, r, 3)).collect();
/// assert_eq!(blocks, [0..3, 3..6, 6..8]);
/// ```
pub fn block(total: usize, rank: usize, size: usize) -> Range<usize> {
    let size = size.max(1);
    let (base, extra) = (total / size, total % size);
    let start = rank.min(size) * base + rank.min(extra);
    let len = if rank < size { base + usize::from(rank < extra) } else { 0 };
    start..start + len
}

/// The rows of all `total` items, in global order, from every rank's `local` rows (those of
/// its [`block`], in order). Rows have one width across the group (the first non-empty part
/// sets it); a part that does not fit is an error, found the same way on every rank.
pub fn gather_rows(
    comm: &dyn Collective,
    local: &[Vec<f64>],
    total: usize,
) -> Result<Vec<Vec<f64>>> {
    let flat: Vec<f64> = local.concat();
    let parts = comm.all_gather(&flat)?;
    let size = comm.size();
    let width = parts
        .iter()
        .enumerate()
        .find_map(|(r, part)| {
            let rows = block(total, r, size).len();
            (rows > 0 && !part.is_empty()).then(|| part.len() / rows)
        })
        .unwrap_or(0);
    let mut rows = Vec::with_capacity(total);
    for (rank, part) in parts.into_iter().enumerate() {
        let count = block(total, rank, size).len();
        if part.len() != count * width {
            return Err(Error::RowsDoNotFit { rank, values: part.len(), rows: count, width });
        }
        if width == 0 {
            rows.extend(std::iter::repeat_with(Vec::new).take(count));
        } else {
            rows.extend(part.chunks_exact(width).map(<[f64]>::to_vec));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::LocalGroup;
    use crate::single::SingleProcess;

    #[test]
    fn blocks_cover_the_items_in_order_for_every_size() {
        for total in 0..20 {
            for size in 1..7 {
                let blocks: Vec<Range<usize>> = (0..size).map(|r| block(total, r, size)).collect();
                let all: Vec<usize> = blocks.iter().cloned().flatten().collect();
                assert_eq!(all, (0..total).collect::<Vec<_>>(), "{total} over {size}");
                let lens: Vec<usize> = blocks.iter().map(|b| b.len()).collect();
                assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
            }
        }
        assert_eq!(block(5, 9, 3), 5..5, "a rank beyond the group holds nothing");
    }

    #[test]
    fn rows_come_back_in_global_order_for_every_group_size() {
        let total = 7;
        let row = |i: usize| vec![i as f64, -(i as f64) / 3.0];
        let expected: Vec<Vec<f64>> = (0..total).map(row).collect();
        assert_eq!(gather_rows(&SingleProcess, &expected, total).unwrap(), expected);
        for size in 1..=9 {
            for result in LocalGroup::run(size, |comm| {
                let mine: Vec<Vec<f64>> = block(total, comm.rank(), comm.size()).map(row).collect();
                gather_rows(comm, &mine, total)
            }) {
                assert_eq!(result.unwrap(), expected, "size {size}");
            }
        }
    }

    #[test]
    fn a_part_of_the_wrong_length_is_an_error_on_every_rank() {
        for result in LocalGroup::run(2, |comm| {
            let mut mine: Vec<Vec<f64>> = block(4, comm.rank(), 2).map(|_| vec![1.0]).collect();
            if comm.rank() == 1 {
                mine[0].push(2.0);
            }
            gather_rows(comm, &mine, 4)
        }) {
            assert!(matches!(result, Err(Error::RowsDoNotFit { rank: 1, .. })), "{result:?}");
        }
    }
}
