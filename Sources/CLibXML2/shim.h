// libxml2's streaming reader and XPath, for `tuneprep import` of XML files.
#ifndef TUNEPREP_CLIBXML2_SHIM_H
#define TUNEPREP_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
// Debian's libxml2 is built with ICU, so encoding.h includes the system's <unicode/ucnv.h>.
// Those ICU headers clash with the ICU copy that Foundation ships (module _FoundationICU) in
// any Swift module that sees both ("'UErrorCode' has different definitions"). tuneprep only
// holds encoding handlers by pointer and never reads their ICU fields, so hide them.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

// `xmlFree` is a global function pointer, which Swift 6 sees as shared mutable state.
static inline void tuneprep_xml_free(void *pointer) { xmlFree(pointer); }
#endif
