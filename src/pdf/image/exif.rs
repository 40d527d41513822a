//! The EXIF resolution of a JPEG scan: XResolution, YResolution and ResolutionUnit of the first
//! image file directory of an APP1 "Exif" block (Exif 2.3 §4.6.4, a TIFF structure, TIFF 6.0
//! §2). Nothing else of EXIF is read: the orientation is not applied (see `images_to_pdf`), and
//! the Exif, GPS and interoperability sub-directories are never entered.
//!
//! Owns: reading those three tags, in either byte order, in place.
//!
//! Never: allocates; follows more than the one directory (at most 65 535 entries of 12 bytes, read
//! where they lie); panics or reads out of bounds on a hostile block; fails the scan (an EXIF block
//! is advisory: anything unreadable is `None`, and the page takes the JFIF density or
//! `ASSUMED_DPI`).
//!
//! Why not the kamadak-exif crate (0.6.2, lib `exif`): it reads the same three fields and did not
//! panic on truncated or mutated blocks, but `Reader::read_raw` parses every directory it can reach
//! before a tag can be asked for — up to 8 in the main chain, each pointer entry's Exif, GPS or
//! interoperability directory (several pointer entries may point at different, overlapping
//! directories) — and keeps every entry in a `Vec` and a `HashMap`, with no limit to set. A
//! 65 516-byte block (one APP1 segment: 1 820 Exif-directory pointers into overlapping directories
//! of up to 3 638 entries) made it build 4 965 870 entries, 604 MB at its peak, about 9 000 times
//! its size and outside any budget the work gate reserves; a JPEG may carry many such segments.
//! The test `a_block_of_overlapping_directories_is_read_without_entering_them` keeps that block.

use super::dpi;

/// XResolution, YResolution and ResolutionUnit of an EXIF block's first directory (a TIFF
/// structure); `None` when absent or unreadable, an EXIF block being only advisory here.
pub(super) fn exif_dpi(tiff: &[u8]) -> Option<(f32, f32)> {
    let big_endian = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    let (mut x, mut y, mut unit) = (None, None, 2);
    for i in 0..entries {
        let entry = ifd.checked_add(2 + i * 12)?;
        let rational = || -> Option<f64> {
            if u16_at(entry + 2)? != 5 {
                return None; // RATIONAL
            }
            let at = usize::try_from(u32_at(entry + 8)?).ok()?;
            let (n, d) = (u32_at(at)?, u32_at(at.checked_add(4)?)?);
            (d != 0).then(|| f64::from(n) / f64::from(d))
        };
        match u16_at(entry)? {
            0x011A => x = rational(),
            0x011B => y = rational(),
            0x0128 => unit = u16_at(entry + 8)?,
            _ => {}
        }
    }
    match unit {
        2 => dpi(x?, y?, 1.0),
        3 => dpi(x?, y?, 2.54),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::exif_dpi;

    /// A little-endian block whose first directory says 600/2 by 300/1 pixels per inch.
    fn resolution_block() -> Vec<u8> {
        // II, IFD at 8 with 3 entries; rationals at 50 and 58.
        let mut le = b"II*\0\x08\0\0\0\x03\0".to_vec();
        for (tag, typ, value) in [(0x011Au16, 5u16, 50u32), (0x011B, 5, 58), (0x0128, 3, 2)] {
            le.extend(tag.to_le_bytes());
            le.extend(typ.to_le_bytes());
            le.extend(1u32.to_le_bytes());
            le.extend(value.to_le_bytes());
        }
        le.extend(0u32.to_le_bytes());
        for (n, d) in [(600u32, 2u32), (300, 1)] {
            le.extend(n.to_le_bytes());
            le.extend(d.to_le_bytes());
        }
        le
    }

    #[test]
    fn exif_resolution_is_read_in_both_byte_orders() {
        let le = resolution_block();
        assert_eq!(exif_dpi(&le), Some((300.0, 300.0)));
        let mut be = b"MM\0*\0\0\0\x08\0\x01".to_vec();
        be.extend([0x01, 0x1A, 0, 5, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
        be.extend([0, 0, 0, 72, 0, 0, 0, 1]);
        assert_eq!(exif_dpi(&be), None, "no YResolution");
        assert_eq!(exif_dpi(b"MM\0*\xFF\xFF\xFF\xFF"), None);
    }

    #[test]
    fn truncated_or_garbled_exif_blocks_give_no_resolution_and_never_panic() {
        let block = resolution_block();
        // YResolution's rational is the block's last 8 bytes: every cut loses it.
        for cut in 0..block.len() {
            assert_eq!(exif_dpi(&block[..cut]), None, "cut at {cut}");
        }
        // Bytes changed at random (xorshift, fixed seed), then cut at random.
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let mut garbled = block.clone();
            for _ in 0..=next() % 6 {
                let at = next() as usize % garbled.len();
                garbled[at] = next() as u8;
            }
            let cut = next() as usize % (garbled.len() + 1);
            if let Some((x, y)) = exif_dpi(&garbled[..cut]) {
                assert!(x.is_finite() && y.is_finite() && x > 0.0 && y > 0.0);
            }
        }
    }

    /// The block that made kamadak-exif build 4 965 870 entries (604 MB) from 65 516 bytes: the
    /// first directory holds 1 820 Exif-directory pointers, to directories 12 bytes apart that
    /// share their entries (each reads its entry count from the entry before it).
    #[test]
    fn a_block_of_overlapping_directories_is_read_without_entering_them() {
        let (pointers, shared) = (1820_usize, 3638_usize);
        let mut block = b"II*\0\x08\0\0\0".to_vec();
        block.extend((pointers as u16).to_le_bytes());
        let first = 8 + 2 + 12 * pointers + 4;
        for i in 0..pointers {
            block.extend(0x8769_u16.to_le_bytes()); // ExifIFDPointer, LONG, 1
            block.extend(4_u16.to_le_bytes());
            block.extend(1_u32.to_le_bytes());
            block.extend(((first + 12 * i) as u32).to_le_bytes());
        }
        block.extend(0_u32.to_le_bytes());
        block.extend((shared as u16).to_le_bytes());
        for j in 0..shared {
            block.extend(0x9286_u16.to_le_bytes()); // UserComment, UNDEFINED, 4 bytes in place
            block.extend(7_u16.to_le_bytes());
            block.extend(4_u32.to_le_bytes());
            block.extend(0_u16.to_le_bytes());
            block.extend(((shared - j - 1) as u16).to_le_bytes());
        }
        block.extend(0_u32.to_le_bytes());
        assert!(block.len() <= 65_533 - 8, "fits one APP1 segment");
        assert_eq!(exif_dpi(&block), None);
    }
}
