/// Reads a small file (a template, a system prompt) whole.
/// - Parameter path: the file's path.
/// - Returns: its bytes.
/// - Throws: ``TunePrepError`` when it cannot be opened or read.
public func readSmallFile(_ path: String) throws(TunePrepError) -> [UInt8] {
  let file = try InputFile(InputName(path))
  var bytes: [UInt8] = []
  let chunk = 1 << 16
  let scratch = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
  defer { scratch.deallocate() }
  while true {
    let n = try file.read(into: scratch, count: chunk)
    if n == 0 { return bytes }
    bytes.append(contentsOf: UnsafeRawBufferPointer(start: scratch, count: n))
  }
}
