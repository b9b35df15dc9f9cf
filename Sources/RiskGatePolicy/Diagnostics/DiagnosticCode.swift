/// Every diagnostic code the compiler emits. Codes are stable and never reused; each is
/// explained in `docs/diagnostics.md`.
package enum DiagnosticCode: String, Sendable, CaseIterable {
    // Reading the file and YAML (RG10xx)
    case yamlSyntax = "RG1001"
    case fileTooLarge = "RG1002"
    case nestingTooDeep = "RG1003"
    case aliasExpansion = "RG1004"
    case scalarTooLong = "RG1005"
    case duplicateKey = "RG1006"
    case multipleDocuments = "RG1007"
    case complexKey = "RG1008"
    case unreadableFile = "RG1009"
    case emptyDocument = "RG1010"

    // Policy structure (RG11xx)
    case missingVersion = "RG1101"
    case unsupportedVersion = "RG1102"
    case missingName = "RG1103"
    case invalidName = "RG1104"
    case unknownKey = "RG1105"
    case wrongShape = "RG1106"
    case missingKey = "RG1107"
    case invalidValue = "RG1108"
    case duplicateRuleID = "RG1109"
    case outcomeAndRules = "RG1110"
    case unknownOutcome = "RG1111"
    case invalidRuleID = "RG1112"
    case bandsOutOfOrder = "RG1113"
    case emptyGroup = "RG1114"
    case duplicateListName = "RG1115"

    // Expression syntax (RG12xx)
    case unexpectedCharacter = "RG1201"
    case unexpectedToken = "RG1202"
    case unterminatedString = "RG1203"
    case badNumber = "RG1204"
    case expressionTooDeep = "RG1205"
    case expressionTooLong = "RG1206"

    // Names (RG13xx)
    case unknownName = "RG1301"
    case unknownList = "RG1302"
    case unknownFunction = "RG1303"
    case wrongArgumentCount = "RG1304"

    // Types (RG14xx)
    case comparisonTypes = "RG1401"
    case arithmeticTypes = "RG1402"
    case conditionNotBool = "RG1403"
    case pointsNotNumber = "RG1404"
    case pointsUseScore = "RG1405"
    case membershipTypes = "RG1406"
    case logicTypes = "RG1407"
    case unknownStringValue = "RG1408"

    // Lists (RG15xx)
    case listFileMissing = "RG1501"
    case listFileBadLine = "RG1502"
    case listShape = "RG1503"
    case badCIDR = "RG1504"
    case unusedList = "RG1505"
    case listFileOutsideFolder = "RG1506"

    // Analysis (RG16xx)
    case missingCatchAll = "RG1601"
    case shadowedRule = "RG1602"
    case ladderBackwards = "RG1603"
    case onFailureCycle = "RG1604"
    case neverMatches = "RG1605"
    case pushWithoutFallback = "RG1606"
    case pushWithoutNumberMatching = "RG1607"
}
