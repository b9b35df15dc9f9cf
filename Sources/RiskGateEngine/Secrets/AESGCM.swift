import CCrypto

/// AES-256-GCM from OpenSSL's libcrypto: authenticated encryption of secrets kept for later use
/// (partial secrets, OTP codes waiting in the outbox).
///
/// A sealed box is `nonce (12) || ciphertext || tag (16)`; the associated data binds a box to where
/// it belongs (a user and a purpose), so a box copied into another row does not open.
enum AESGCM {
    static let nonceLength = 12
    static let tagLength = 16

    /// Encrypts `plaintext` under the 32-byte `key` with a fresh random nonce.
    static func seal(_ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8], nonce: [UInt8]) -> [UInt8] {
        precondition(key.count == 32 && nonce.count == nonceLength)
        guard let context = EVP_CIPHER_CTX_new() else { preconditionFailure("OpenSSL EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var length: Int32 = 0
        var total = 0
        var ok = EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
        if !associatedData.isEmpty {
            ok = ok && EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1
        }
        ok = ok && out.withUnsafeMutableBufferPointer { o in
            EVP_EncryptUpdate(context, o.baseAddress, &length, plaintext, Int32(plaintext.count)) == 1
        }
        total = Int(length)
        ok = ok && out.withUnsafeMutableBufferPointer { o in EVP_EncryptFinal_ex(context, o.baseAddress! + total, &length) == 1 }
        total += Int(length)
        var tag = [UInt8](repeating: 0, count: tagLength)
        ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1
        precondition(ok, "OpenSSL AES-256-GCM encryption failed")
        return nonce + out.prefix(total) + tag
    }

    /// Decrypts and authenticates a sealed box; `nil` when it was altered, truncated, or sealed under
    /// another key or associated data.
    static func open(_ box: [UInt8], key: [UInt8], associatedData: [UInt8]) -> [UInt8]? {
        guard key.count == 32, box.count >= nonceLength + tagLength else { return nil }
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        let nonce = Array(box.prefix(nonceLength))
        let ciphertext = Array(box[nonceLength..<(box.count - tagLength)])
        var tag = Array(box.suffix(tagLength))
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { return nil }
        if !associatedData.isEmpty {
            guard EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1 else { return nil }
        }
        let updated = out.withUnsafeMutableBufferPointer { o in
            EVP_DecryptUpdate(context, o.baseAddress, &length, ciphertext, Int32(ciphertext.count)) == 1
        }
        guard updated else { return nil }
        let total = Int(length)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag) == 1 else { return nil }
        let final = out.withUnsafeMutableBufferPointer { o in EVP_DecryptFinal_ex(context, o.baseAddress! + total, &length) == 1 }
        guard final else { return nil }
        return Array(out.prefix(total + Int(length)))
    }
}
