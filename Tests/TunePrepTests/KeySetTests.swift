import Testing

@testable import TunePrep

@Suite struct KeySetTests {
  /// Keys of every length class the lookup treats differently: up to eight bytes (one word),
  /// nine to sixteen (two words) and longer (the byte tail).
  private let keys = KeySet(["role", "assistant", "tool_call_id", "parallel_tool_calls", "content"])

  private func document(_ text: String) throws -> JSONDocument {
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(text.utf8), into: &document)
    return document
  }

  @Test(arguments: [
    ("{\"role\":1}", [0]),
    ("{\"assistant\":1}", [1]),
    ("{\"tool_call_id\":1}", [2]),
    ("{\"parallel_tool_calls\":1}", [3]),
    ("{\"content\":1,\"role\":2}", [4, 0]),
    // Escaped keys compare by their decoded text.
    ("{\"r\\u006fle\":1,\"parallel_tool_call\\u0073\":2}", [0, 3]),
  ])
  func findsEachKey(text: String, expected: [Int]) throws {
    let d = try document(text)
    let slots = d.slots(d.root, keys)
    #expect(slots.unknownCount == 0)
    var value = d.root + 2
    for i in expected {
      #expect(slots[i] == value)
      value += 2
    }
  }

  @Test(arguments: [
    "{\"rolE\":1}", "{\"assistanT\":1}", "{\"tool_call_iD\":1}", "{\"parallel_tool_callS\":1}",
    "{\"rol\":1}", "{\"roles\":1}", "{\"assistant_\":1}", "{\"parallel_tool_calls_\":1}",
    "{\"\":1}",
  ])
  func countsNearMissesAsUnknown(text: String) throws {
    let d = try document(text)
    let slots = d.slots(d.root, keys)
    #expect(slots.unknownCount == 1)
    #expect(d.unknownKeys(slots, keys) == [1])
  }

  @Test func lastDuplicateWins() throws {
    let d = try document("{\"role\":1,\"role\":2}")
    #expect(d.slots(d.root, keys)[0] == 4)
  }

  @Test func indexOfStringValues() throws {
    // The last value ends at the end of the input, where the word read is padded.
    let d = try document("[\"assistant\",\"tool\",\"r\\u006fle\",1,\"role\"]")
    #expect(d.index(of: 1, in: keys) == 1)
    #expect(d.index(of: 2, in: keys) == nil)
    #expect(d.index(of: 3, in: keys) == 0)
    #expect(d.index(of: 4, in: keys) == nil)
    #expect(d.index(of: 5, in: keys) == 0)
  }
}
