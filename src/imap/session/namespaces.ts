// The namespaces of RFC 2342: the personal one ("" with "/") and this one for the mailboxes a
// user has FullAccess to. Kept apart from the session so command modules can import it freely.

/** The shared namespace prefix (NAMESPACE's "other users" entry, RFC 2342 §5). */
export const OTHER_USERS = 'Other Users';
