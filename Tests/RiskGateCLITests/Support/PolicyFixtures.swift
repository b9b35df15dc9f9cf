/// Small policies written into a test's temporary folder.
enum PolicyFixtures {
    /// One error: `RG1301` (unknown signal) at line 4, column 23.
    static let broken = """
        riskgate: 1
        policy: broken
        decide:
          - { id: fast, when: geo.velocity_km > 3, outcome: deny }
          - { id: all, outcome: passive }

        """

    /// No error, one warning: `RG1602` (rule `after-all` can never match) at line 5, column 5.
    static let warning = """
        riskgate: 1
        policy: shadowed
        decide:
          - { id: all, outcome: passive }
          - { id: after-all, when: device.new, outcome: otp }

        """

    /// A request `web-login` decides: a sign-in from a documentation address.
    static let context = #"{"user":"alice","time":"2026-09-07T08:00:00Z","channel":"web","action":"login","ip":"192.0.2.10"}"#
}
