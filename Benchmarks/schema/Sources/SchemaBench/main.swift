// Times parse-only and parse+validate over a JSONL file, one reused JSONDocument, one thread.
// Usage: schema-bench SCHEMA.json FILE.jsonl [--repeat N]
import Foundation
import TunePrep

func readAll(_ path: String) -> [UInt8] {
  guard let data = FileManager.default.contents(atPath: path) else {
    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
    exit(2)
  }
  return [UInt8](data)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
  FileHandle.standardError.write(Data("usage: schema-bench SCHEMA.json FILE.jsonl [--repeat N]\n".utf8))
  exit(64)
}
var repeats = 3
if let index = arguments.firstIndex(of: "--repeat"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) {
  repeats = n
}
// `--mode parse` or `--mode validate` runs only that pass (for instruction counts under perf stat
// or callgrind: the difference of the two is the validator's share).
var modes = [false, true]
if let index = arguments.firstIndex(of: "--mode"), index + 1 < arguments.count {
  modes = arguments[index + 1] == "parse" ? [false] : [true]
}
let schemaBytes = readAll(arguments[1])
let input = readAll(arguments[2])
let compileStart = ContinuousClock.now
let schema: CompiledSchema
do {
  schema = try SchemaCompiler().compile(schemaBytes: schemaBytes, baseURI: "file://" + arguments[1])
} catch {
  FileHandle.standardError.write(Data("schema: \(error)\n".utf8))
  exit(2)
}
let compileTime = ContinuousClock.now - compileStart

/// Runs one pass; returns (seconds, records, parse failures, invalid records, errors).
func pass(validate: Bool) -> (Double, Int, Int, Int, Int) {
  var parser = JSONParser()
  var document = JSONDocument()
  var records = 0
  var broken = 0
  var invalid = 0
  var errorCount = 0
  var errors: [SchemaError] = []
  let start = ContinuousClock.now
  input.withUnsafeBytes { raw in
    guard let base = raw.baseAddress else { return }
    var lineStart = 0
    let n = raw.count
    while lineStart < n {
      let found = memchr(base + lineStart, 0x0A, n - lineStart)
      let lineEnd = found.map { UnsafeRawPointer($0) - base } ?? n
      if lineEnd > lineStart {
        records += 1
        do throws(JSONSyntaxError) {
          try parser.parse(UnsafeRawBufferPointer(rebasing: raw[lineStart..<lineEnd]), into: &document)
          if validate {
            errors.removeAll(keepingCapacity: true)
            if !schema.validate(document, into: &errors, limit: 20) {
              invalid += 1
              errorCount += errors.count
            }
          }
        } catch {
          broken += 1
        }
      }
      lineStart = lineEnd + 1
    }
  }
  let elapsed = ContinuousClock.now - start
  let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  return (seconds, records, broken, invalid, errorCount)
}

let megabytes = Double(input.count) / 1e6
print("file: \(arguments[2]) (\(String(format: "%.1f", megabytes)) MB), schema compiled in \(compileTime)")
for mode in modes {
  var best = Double.infinity
  var last = (0.0, 0, 0, 0, 0)
  for _ in 0..<repeats {
    last = pass(validate: mode)
    best = min(best, last.0)
  }
  let label = mode ? "parse+validate" : "parse only    "
  print(
    "\(label): best \(String(format: "%.3f", best)) s, \(String(format: "%.0f", megabytes / best)) MB/s"
      + " (\(last.1) records, \(last.2) not JSON" + (mode ? ", \(last.3) invalid, \(last.4) errors)" : ")"))
}
