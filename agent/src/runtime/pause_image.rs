//! The infra ("pause") container's image, made on this machine: a tiny static program that
//! only waits, so a pod's network namespace never needs an image from a registry.

use super::tarball::Entry;

/// The infra image's reference; the tag changes whenever the program does.
pub const INFRA_IMAGE: &str = "kubeplay/pause:1";

const LOAD_ADDRESS: u64 = 0x40_0000;
const HEADERS: usize = 64 + 56;

/// The program for this machine's architecture: x86-64 loops on `pause`, arm64 (which has no
/// `pause` syscall) on `ppoll` with nothing to wait for.
fn code(arch: &str) -> Option<(u16, Vec<u8>)> {
    match arch {
        "x86_64" => Some((
            0x3e,
            vec![
                0xb8, 34, 0, 0, 0, // mov eax, 34 (pause)
                0x0f, 0x05, // syscall
                0xeb, 0xf7, // jmp back to mov
            ],
        )),
        "aarch64" => {
            let words: [u32; 7] = [
                0xd280_0000, // mov x0, #0
                0xd280_0001, // mov x1, #0
                0xd280_0002, // mov x2, #0
                0xd280_0003, // mov x3, #0
                0xd280_0928, // mov x8, #73 (ppoll)
                0xd400_0001, // svc #0
                0x17ff_fffa, // b back to the first mov
            ];
            Some((0xb7, words.iter().flat_map(|w| w.to_le_bytes()).collect()))
        }
        _ => None,
    }
}

/// A static ELF64 executable of `code` for `machine`: one loadable segment, no sections.
fn elf(machine: u16, code: &[u8]) -> Vec<u8> {
    let total = (HEADERS + code.len()) as u64;
    let mut b = Vec::with_capacity(HEADERS + code.len());
    b.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&2u16.to_le_bytes()); // executable
    b.extend_from_slice(&machine.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&(LOAD_ADDRESS + HEADERS as u64).to_le_bytes()); // entry
    b.extend_from_slice(&64u64.to_le_bytes()); // program headers right after this one
    b.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    b.extend_from_slice(&0u32.to_le_bytes());
    for half in [64u16, 56, 1, 64, 0, 0] {
        b.extend_from_slice(&half.to_le_bytes());
    }
    b.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    b.extend_from_slice(&5u32.to_le_bytes()); // read + execute
    for word in [0, LOAD_ADDRESS, LOAD_ADDRESS, total, total, 0x1000] {
        b.extend_from_slice(&word.to_le_bytes());
    }
    b.extend_from_slice(code);
    b
}

/// The build context (Dockerfile and program) of the infra image for `arch`.
pub fn build_context(arch: &str) -> Option<Vec<Entry>> {
    let (machine, code) = code(arch)?;
    Some(vec![
        Entry::File {
            path: "Dockerfile".into(),
            mode: 0o644,
            data: b"FROM scratch\nCOPY pause /pause\nENTRYPOINT [\"/pause\"]\n".to_vec(),
        },
        Entry::File {
            path: "pause".into(),
            mode: 0o755,
            data: elf(machine, &code),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_an_elf_executable_whose_entry_is_its_code() {
        let (machine, code) = code("x86_64").unwrap();
        let bin = elf(machine, &code);
        assert_eq!(&bin[..4], b"\x7fELF");
        assert_eq!(u16::from_le_bytes([bin[18], bin[19]]), 0x3e);
        let entry = u64::from_le_bytes(bin[24..32].try_into().unwrap());
        assert_eq!(&bin[(entry - LOAD_ADDRESS) as usize..], code.as_slice());
    }

    #[test]
    fn arm64_gets_its_own_machine_and_loops_back_to_its_start() {
        let (machine, code) = code("aarch64").unwrap();
        assert_eq!(machine, 0xb7);
        let branch = u32::from_le_bytes(code[24..28].try_into().unwrap());
        let offset_words = ((branch & 0x03ff_ffff) as i32) << 6 >> 6;
        assert_eq!(offset_words * 4, -24);
    }

    #[test]
    fn unknown_architectures_get_no_image() {
        assert!(build_context("riscv64").is_none());
    }
}
