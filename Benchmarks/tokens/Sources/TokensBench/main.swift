// Usage: TokensBench TEXT_FILE [--vocab-dir DIR] [--encodings cl100k_base,o200k_base] [--runs N]
//
// Times single-thread encoding of the whole file and of its paragraphs (split on blank lines,
// as bench_tiktoken.py does) and prints one JSON object per encoding.
import Foundation
import TunePrep

var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ arguments: inout [String]) -> String? {
  guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
  let value = arguments[i + 1]
  arguments.removeSubrange(i...(i + 1))
  return value
}
let vocabDir = option("--vocab-dir", &arguments)
let encodings = (option("--encodings", &arguments) ?? "cl100k_base,o200k_base").split(separator: ",").map(String.init)
let runs = Int(option("--runs", &arguments) ?? "3") ?? 3
guard let path = arguments.first else {
  FileHandle.standardError.write(Data("usage: TokensBench TEXT_FILE [--vocab-dir DIR]\n".utf8))
  exit(64)
}
let data = try Data(contentsOf: URL(fileURLWithPath: path))
let text = String(decoding: data, as: UTF8.self)
let bytes = Double(data.count)
let paragraphs = text.components(separatedBy: "\n\n")

func seconds(_ body: () -> Void) -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

for name in encodings {
  let encoding = try TokenEncoding(named: name)
  let loadTime = Date()
  let tokenizer = try Tokenizer.load(encoding, locator: VocabularyLocator(vocabDir: vocabDir))
  let load = Date().timeIntervalSince(loadTime)
  var tokens = 0
  var ids = 0
  var paragraphTokens = 0
  var whole = Double.infinity
  var perParagraph = Double.infinity
  var encodeWhole = Double.infinity
  for _ in 0..<runs {
    whole = min(whole, seconds { tokens = tokenizer.count(text) })
    encodeWhole = min(encodeWhole, seconds { ids = tokenizer.encode(text).count })
    perParagraph = min(perParagraph, seconds {
      var n = 0
      for p in paragraphs { n += tokenizer.count(p) }
      paragraphTokens = n
    })
  }
  // Both cores: the paragraphs split in two halves, one shared Tokenizer (it is Sendable).
  var twoThreads = Double.infinity
  let halves = [Array(paragraphs[..<(paragraphs.count / 2)]), Array(paragraphs[(paragraphs.count / 2)...])]
  for _ in 0..<runs {
    twoThreads = min(twoThreads, seconds {
      DispatchQueue.concurrentPerform(iterations: 2) { k in
        var n = 0
        for p in halves[k] { n += tokenizer.count(p) }
        precondition(n > 0)
      }
    })
  }
  let mb = bytes / 1e6
  func r(_ x: Double) -> Double { (x * 100).rounded() / 100 }
  print(
    "{\"encoding\":\"\(name)\",\"text_MB\":\(r(mb)),\"tokens\":\(tokens),\"encode_ids\":\(ids),"
      + "\"per_paragraph_tokens\":\(paragraphTokens),\"load_s\":\(r(load)),"
      + "\"count_whole_MB_s\":\(r(mb / whole)),\"encode_whole_MB_s\":\(r(mb / encodeWhole)),"
      + "\"count_per_paragraph_MB_s\":\(r(mb / perParagraph)),"
      + "\"count_per_paragraph_2_threads_MB_s\":\(r(mb / twoThreads))}")
}
