import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The libcrypto and libargon2 wrappers against published vectors, and the sealed boxes against tampering.
@Suite struct CryptoTests {
    // FIPS 180-4 / NIST CSRC example vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256MatchesKnownVectors(input: String, expected: String) {
        #expect(SHA256.hash(Array(input.utf8)).hexString == expected)
        #expect(SHA256.hash(Array(input.utf8)[...]).hexString == expected)
    }

    // RFC 4231 test cases 1, 2 and 6.
    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func hmacRFC4231(key: [UInt8], message: [UInt8], expected: String) {
        #expect(HMACSHA256.authenticate(key: key, message: message).hexString == expected)
    }

    // The same RFC 4231 cases through one reused context, each message split in two, in turn:
    // restarting from the keyed state must forget the previous message.
    @Test func keyedHMACMatchesTheOneShotOverManyMessages() throws {
        for (key, message, expected) in [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ] {
            let mac = try #require(KeyedHMAC(key: key))
            for split in [0, 3, message.count, 1, 0] {
                let tag = message.withUnsafeBytes { bytes in
                    mac.authenticate(UnsafeRawBufferPointer(rebasing: bytes[..<split]), UnsafeRawBufferPointer(rebasing: bytes[split...]))
                }
                #expect(tag.hexString == expected)
            }
            let other = Array("another message".utf8)
            #expect(other.withUnsafeBytes { mac.authenticate($0, UnsafeRawBufferPointer(start: nil, count: 0)) }
                == HMACSHA256.authenticate(key: key, message: other))
        }
        #expect(KeyedHMAC(key: []) == nil)
    }

    @Test func hexRoundTripsAndRefusesJunk() {
        #expect([UInt8]().hexString == "")
        #expect([0x00, 0x09, 0x0a, 0xf0, 0xff].hexString == "00090af0ff")
        #expect([UInt8](hexString: "00090AF0ff") == [0x00, 0x09, 0x0a, 0xf0, 0xff])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
    }

    @Test func constantTimeEqualsComparesContentAndLength() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([], []))
    }

    @Test func aesGCMOpensOnlyWhatItSealedUnderTheSameKeyAndContext() {
        let key = [UInt8](repeating: 7, count: 32)
        let nonce = [UInt8](repeating: 1, count: AESGCM.nonceLength)
        let box = AESGCM.seal(Array("1234".utf8), key: key, associatedData: Array("u-1".utf8), nonce: nonce)
        #expect(AESGCM.open(box, key: key, associatedData: Array("u-1".utf8)) == Array("1234".utf8))
        #expect(AESGCM.open(box, key: key, associatedData: Array("u-2".utf8)) == nil)
        #expect(AESGCM.open(box, key: [UInt8](repeating: 8, count: 32), associatedData: Array("u-1".utf8)) == nil)
        var flipped = box
        flipped[AESGCM.nonceLength] ^= 1
        #expect(AESGCM.open(flipped, key: key, associatedData: Array("u-1".utf8)) == nil)
        #expect(AESGCM.open(Array(box.prefix(20)), key: key, associatedData: Array("u-1".utf8)) == nil)
    }

    /// RFC 9106 §5.3's Argon2id vector needs a secret and associated data, which the PHC API does not
    /// take; this checks the format, round trip and parameters instead (libargon2 is the reference).
    @Test func argon2idWritesPHCStringsThatVerify() throws {
        let weak = Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)
        let phc = Argon2id.hash(password: Array("pw".utf8), salt: Array("saltsaltsaltsalt".utf8), parameters: weak)
        #expect(phc.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"))
        #expect(Argon2id.verify(password: Array("pw".utf8), encoded: phc))
        #expect(!Argon2id.verify(password: Array("pX".utf8), encoded: phc))
        #expect(!Argon2id.verify(password: Array("pw".utf8), encoded: "$argon2id$v=19$garbage"))
        #expect(Argon2id.parameters(of: phc) == weak)
        #expect(Argon2id.isWeaker(weak, than: .owasp))
        #expect(!Argon2id.isWeaker(.owasp, than: .owasp))
    }
}
