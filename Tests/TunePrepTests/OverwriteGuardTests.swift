import Foundation
import Testing

@testable import TunePrep

/// ``OverwriteGuard`` on real files: every way a path can name the input is caught, and
/// nothing else is.
@Suite struct OverwriteGuardTests {
  /// A temporary folder holding `data.jsonl` (the input), `other.jsonl`, a folder `real` with
  /// `inner.jsonl` and a symbolic link `linked` to that folder.
  final class Folder {
    let path: String

    init() throws {
      let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "tuneprep-guard-\(UUID())")
      try FileManager.default.createDirectory(
        at: url.appendingPathComponent("real"), withIntermediateDirectories: true)
      path = url.path
      for name in ["data.jsonl", "other.jsonl", "real/inner.jsonl"] {
        try Data("{\"a\":1}\n".utf8).write(to: URL(fileURLWithPath: self[name]))
      }
      try FileManager.default.createSymbolicLink(
        atPath: self["linked"], withDestinationPath: self["real"])
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The absolute path of `name` in the folder.
    subscript(_ name: String) -> String { path + "/" + name }
  }

  @Test func samePathIsTheInput() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["other.jsonl"], folder["data.jsonl"]])
    #expect(guarded.input(namedBy: folder["data.jsonl"]) == folder["data.jsonl"])
    #expect(guarded.input(namedBy: folder["other.jsonl"]) == folder["other.jsonl"])
  }

  @Test(arguments: ["./data.jsonl", "real/../data.jsonl", "real/./../data.jsonl", ".//data.jsonl"])
  func anotherSpellingIsTheInput(_ spelling: String) throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["data.jsonl"]])
    #expect(guarded.input(namedBy: folder[spelling]) == folder["data.jsonl"])
  }

  @Test func symbolicLinkToTheInputIsTheInput() throws {
    let folder = try Folder()
    try FileManager.default.createSymbolicLink(
      atPath: folder["link.jsonl"], withDestinationPath: folder["data.jsonl"])
    // Either way round: the output is the link, or the input is given through it.
    #expect(
      OverwriteGuard(inputs: [folder["data.jsonl"]]).input(namedBy: folder["link.jsonl"])
        == folder["data.jsonl"])
    #expect(
      OverwriteGuard(inputs: [folder["link.jsonl"]]).input(namedBy: folder["data.jsonl"])
        == folder["link.jsonl"])
  }

  @Test func hardLinkToTheInputIsTheInput() throws {
    let folder = try Folder()
    try FileManager.default.linkItem(atPath: folder["data.jsonl"], toPath: folder["hard.jsonl"])
    let guarded = OverwriteGuard(inputs: [folder["data.jsonl"]])
    #expect(guarded.input(namedBy: folder["hard.jsonl"]) == folder["data.jsonl"])
  }

  @Test func differentFileIsNotTheInput() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["data.jsonl"]])
    #expect(guarded.input(namedBy: folder["other.jsonl"]) == nil)
    #expect(guarded.input(namedBy: folder["real/inner.jsonl"]) == nil)
  }

  @Test func outputThatDoesNotExistYetIsNotTheInput() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["data.jsonl"], folder["real/inner.jsonl"]])
    #expect(guarded.input(namedBy: folder["new.jsonl"]) == nil)
    #expect(guarded.input(namedBy: folder["linked/new.jsonl"]) == nil)
    #expect(guarded.input(namedBy: folder["no/such/folder/data.jsonl"]) == nil)
  }

  @Test func outputInASymlinkedFolderIsTheInput() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["real/inner.jsonl"]])
    #expect(guarded.input(namedBy: folder["linked/inner.jsonl"]) == folder["real/inner.jsonl"])
    let throughLink = OverwriteGuard(inputs: [folder["linked/inner.jsonl"]])
    #expect(
      throughLink.input(namedBy: folder["real/inner.jsonl"]) == folder["linked/inner.jsonl"])
  }

  /// Neither exists: the resolved paths decide (the folder's links resolved, the name kept).
  @Test func missingFilesCompareByResolvedPath() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["linked/missing.jsonl"]])
    #expect(guarded.input(namedBy: folder["real/missing.jsonl"]) == folder["linked/missing.jsonl"])
    #expect(guarded.input(namedBy: folder["real/./missing.jsonl"]) != nil)
    #expect(guarded.input(namedBy: folder["real/missing2.jsonl"]) == nil)
  }

  @Test func standardStreamsAndDevicesAreNeverTheInput() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: ["-", folder["data.jsonl"], "/dev/null"])
    #expect(guarded.input(namedBy: "-") == nil)
    #expect(guarded.input(namedBy: "/dev/null") == nil)
    #expect(guarded.input(namedBy: folder["real"]) == nil)
  }

  @Test func twoOutputsOnOneFileCollide() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["data.jsonl"]])
    // A new file by its resolved path, an existing one by identity, in the order given.
    for (first, second) in [
      ("new.jsonl", "real/../new.jsonl"), ("linked/new.jsonl", "real/new.jsonl"),
      ("other.jsonl", "./other.jsonl"), ("linked/inner.jsonl", "real/inner.jsonl"),
    ] {
      let error = #expect(throws: TunePrepError.self) {
        try guarded.check([
          (folder[first], "--output"), (nil, "--clusters"), (folder[second], "--rejects"),
        ])
      }
      #expect(
        error
          == .outputsCollide(
            first: folder[first], firstOption: "--output", second: folder[second],
            secondOption: "--rejects"))
    }
    // Distinct files, standard output and devices are fine, however often they are named.
    #expect(throws: Never.self) {
      try guarded.check([
        (folder["new.jsonl"], "--output"), (folder["other.jsonl"], "--rejects"),
        ("-", "--report-file"), ("-", "--clusters"), ("/dev/null", "a"), ("/dev/null", "b"),
      ])
    }
    // An input is reported as an input first, even when it is named twice.
    let error = #expect(throws: TunePrepError.self) {
      try guarded.check([(folder["data.jsonl"], "--output"), (folder["data.jsonl"], "--rejects")])
    }
    #expect(
      error
        == .outputIsInput(
          input: folder["data.jsonl"], output: folder["data.jsonl"], option: "--output"))
  }

  @Test func futurePathsResolveThroughTheirExistingAncestor() throws {
    let folder = try Folder()
    let real = try #require(resolvedPath(folder["real"]))
    #expect(resolvedFuturePath(folder["linked/a/b.jsonl"]) == real + "/a/b.jsonl")
    #expect(resolvedFuturePath(folder["linked/a/./c/../b.jsonl"]) == real + "/a/b.jsonl")
    #expect(resolvedFuturePath(folder["real/inner.jsonl"]) == real + "/inner.jsonl")
    // Two spellings of one file in a folder that does not exist yet collide.
    let error = #expect(throws: TunePrepError.self) {
      try OverwriteGuard(inputs: [String]()).check([
        (folder["out/train.jsonl"], "--out-dir"),
        (folder["linked/../out/./train.jsonl"], "--rejects"),
      ])
    }
    #expect(error != nil)
  }

  @Test func checkThrowsANamedError() throws {
    let folder = try Folder()
    let guarded = OverwriteGuard(inputs: [folder["data.jsonl"]])
    #expect(throws: Never.self) {
      try guarded.check([(nil, "--rejects"), (folder["other.jsonl"], "--output")])
    }
    let error = #expect(throws: TunePrepError.self) {
      try guarded.check([
        (folder["other.jsonl"], "--output"), (folder["./data.jsonl"], "--report-file"),
      ])
    }
    #expect(
      error
        == .outputIsInput(
          input: folder["data.jsonl"], output: folder["./data.jsonl"], option: "--report-file"))
    #expect(
      error?.description
        == "\(folder["data.jsonl"]) is an input and would be overwritten by --report-file "
        + "\(folder["./data.jsonl"]): inputs are never modified; write to another path")
    #expect(
      TunePrepError.outputIsInput(input: "d.jsonl", output: "d.jsonl", option: "--output")
        .description
        == "d.jsonl is an input and would be overwritten by --output: inputs are never modified; write to another path"
    )
  }
}
