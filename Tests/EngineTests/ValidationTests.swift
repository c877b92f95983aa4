import Engine
import Testing

@Suite struct ValidationTests {
    @Test(arguments: ["978-0-306-40615-7", "0-306-40615-2", "080442957X", "9780306406157", "0 306 40615 2"])
    func validISBNs(isbn: String) { #expect(ISBN.isValid(isbn)) }

    @Test(arguments: ["978-0-306-40615-8", "0-306-40615-3", "X804429570", "97803064061", "97803064061570", "978030640615a", ""])
    func invalidISBNs(isbn: String) { #expect(!ISBN.isValid(isbn)) }

    @Test func isbnIsStoredCanonically() {
        #expect(ISBN.normalized("0-8044-2957-x") == "080442957X")
        #expect(ISBN.normalized("978-0-306-40615-7") == "9780306406157")
    }

    @Test(arguments: ["ada@example.org", "Ada.Lovelace+books@Mail.Example.ORG", "a@b.co"])
    func validEmails(email: String) { #expect(Email.normalized(email) != nil) }

    @Test(arguments: ["", "ada", "ada@", "@example.org", "ada@example", "a b@example.org", "ada@@example.org", "ada@-x.org", ".ada@example.org", "a..b@example.org"])
    func invalidEmails(email: String) { #expect(Email.normalized(email) == nil) }

    @Test func emailsAreLowercased() { #expect(Email.normalized("Ada@Example.ORG") == "ada@example.org") }

    @Test func fingerprintsAreStableAndDistinguishCommands() {
        let a = Command.checkout(member: 1, item: 2)
        #expect(a.fingerprint == Command.checkout(member: 1, item: 2).fingerprint)
        #expect(a.fingerprint != Command.checkout(member: 2, item: 1).fingerprint)
        // Stable across processes and builds: fingerprints are stored with remembered keys.
        #expect(StableHash.hash(Array("libra".utf8)) == 0xe3ac_7227_6c0e_3cf6)
    }
}
