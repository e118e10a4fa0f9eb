extension Importer {
  func importXML(
    _ file: InputFile, output: OutputStream, rejects: OutputStream?, reporter: FindingReporter,
    totals: inout ImportTotals
  ) throws(TunePrepError) {
    throw .failed("XML import is not built yet")
  }
}
