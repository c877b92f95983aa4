import Engine
import LibraProtocol
import WAL

/// The component schemas of /openapi.json: the records the API returns (the JSON shapes of
/// LibraProtocol/JSON) and the bodies it accepts. Bounds come from `Limits`, so they cannot
/// drift from what the engine enforces.
enum OpenAPISchemas {
    static let id = Schema.integer("A positive id, assigned by the server.", minimum: 1)
    static let cursor = Schema.integer("The cursor for the next page (the last id on this page); null on the last page.", minimum: 1).orNull
    static let time = Schema.string("ISO 8601 UTC with milliseconds, e.g. 2026-11-21T09:30:00.000Z.", format: "date-time")
    static let day = Schema.string("A calendar day, YYYY-MM-DD, from 1970-01-01 to 2199-12-31.", format: "date")
    static let itemType = Schema.string("book, media or periodical.", values: ItemType.allCases.map(\.name))
    static let isbnInput = Schema.string(
        "ISBN-10 or ISBN-13 with a valid check digit; hyphens and spaces are ignored. At most \(Limits.isbnBytesMax) bytes.", minLength: 10,
        maxLength: Limits.isbnBytesMax)
    static let isbnStored = Schema.string("The ISBN as stored: its digits (and a final X for an ISBN-10).", pattern: "^([0-9]{9}[0-9X]|[0-9]{13})$")
    static let email = Schema.string(
        "A plausible address, ASCII, at most \(Limits.emailBytesMax) bytes; stored lowercased and unique across members.", minLength: 3,
        maxLength: Limits.emailBytesMax, format: "email")
    static let cents = Schema.integer("Cents, \(Limits.centsPolicyRange.lowerBound) to \(Limits.centsPolicyRange.upperBound).", Limits.centsPolicyRange)

    static func text(_ what: String, _ bytes: ClosedRange<Int>) -> Schema {
        .string("\(what), \(bytes.lowerBound) to \(bytes.upperBound) bytes of UTF-8.", minLength: bytes.lowerBound, maxLength: bytes.upperBound)
    }

    /// Every component, in the order the document lists them.
    static let all: [(String, Schema)] = records + replies + bodies

    static let records: [(String, Schema)] = [
        (
            "Item",
            .object(
                "A catalog item: a title with its copies.",
                [
                    ("id", id), ("isbn", isbnStored), ("title", .string()), ("author", .string()), ("publisher", .string()),
                    ("year", .integer(nil, Limits.yearRange)), ("type", itemType),
                    ("status", .string("withdrawn items stay listed but cannot be lent.", values: ["active", "withdrawn"])),
                    ("total_copies", .integer(nil, 0...Limits.copiesPerItemMax)),
                    ("available_copies", .integer("Copies on the shelf now, free for anyone.", 0...Limits.copiesPerItemMax)),
                    ("awaiting_pickup", .integer("Copies on the hold shelf, each set aside for a member whose hold is ready.", 0...Limits.copiesPerItemMax)),
                    ("lost_copies", .integer("Copies declared lost with their loan.", 0...Limits.copiesPerItemMax)),
                    ("missing_copies", .integer("Copies that should be on the shelf and are not.", 0...Limits.copiesPerItemMax)),
                    ("claimed_returned_copies", .integer("Copies whose borrower says they returned them, not found since.", 0...Limits.copiesPerItemMax)),
                ],
                required: [
                    "id", "isbn", "title", "author", "publisher", "year", "type", "status", "total_copies", "available_copies", "awaiting_pickup",
                    "lost_copies", "missing_copies", "claimed_returned_copies",
                ])
        ),
        (
            "Hold",
            .object(
                "An open hold: a member waiting for the next free copy of an item, or (ready) with a copy set aside until `pickup_by`.",
                [
                    ("id", id), ("item", id), ("member", id), ("status", .string(values: ["waiting", "ready"])),
                    ("position", .integer("0 when ready; else the place among the item's waiting holds, from 1.", minimum: 0, format: "int32")),
                    ("placed_at", time), ("pickup_by", time.described("The last millisecond the copy waits; null while waiting.").orNull),
                    ("pickup_days", .integer("Days a copy set aside waits, from the member's policy.", Limits.pickupDaysRange)),
                ],
                required: ["id", "item", "member", "status", "position", "placed_at", "pickup_by", "pickup_days"])
        ),
        (
            "ActiveLoan",
            .object("One of a member's active loans.", [("loan", id), ("item", id), ("due_at", time)], required: ["loan", "item", "due_at"])
        ),
        (
            "Block",
            .object(
                "A librarian's block on a member's account.",
                [
                    ("id", id), ("reason", .string()),
                    ("blocks", .array(.string(values: BlockEffects.all.names), "What it stops: borrowing, renewing, holds.")),
                    ("placed_at", time), ("expires_at", time.described("The block ends after this time; null: until lifted.").orNull),
                ],
                required: ["id", "reason", "blocks", "placed_at", "expires_at"])
        ),
        (
            "Member",
            .object(
                nil,
                [
                    ("id", id), ("email", .string(format: "email")), ("name", .string()), ("tier", .string()),
                    ("status", .string(values: ["active", "suspended"])), ("card_expiry", day),
                    ("fines_owed_cents", .integer(minimum: 0)), ("active_loans", .array(.ref("ActiveLoan"), "Ascending by loan id.")),
                    ("blocks", .array(.ref("Block"), "Librarians' blocks, ascending by id (expired ones stay listed until lifted).")),
                ],
                required: ["id", "email", "name", "tier", "status", "card_expiry", "fines_owed_cents", "active_loans", "blocks"])
        ),
        (
            "Loan",
            .object(
                nil,
                [
                    ("id", id), ("item", id), ("member", id), ("item_type", itemType), ("checked_out_at", time),
                    ("due_at", time.described("The last millisecond of the due day.")), ("renewals", .integer(minimum: 0, format: "int32")),
                    ("returned_at", time.described("Null while the loan is active.").orNull),
                    (
                        "fine_cents",
                        .integer(
                            "Ended: the fine charged (a late return) or the fee (declared lost). Active and overdue, in reads: the fine accrued so far, "
                                + "what a return now would charge. Else 0.", minimum: 0)
                    ),
                    ("end", .string("How the loan ended; null while active.", values: ["returned", "lost", "claimed_returned"]).orNull),
                ],
                required: ["id", "item", "member", "item_type", "checked_out_at", "due_at", "renewals", "returned_at", "fine_cents", "end"])
        ),
        (
            "Policy",
            .object(
                "The loan rules for one member tier and one item type.",
                [
                    ("tier", .string()), ("item_type", itemType), ("loan_days", .integer(nil, Limits.loanDaysRange)),
                    ("max_loans", .integer("Active loans (of any type) a member may hold.", Limits.maxLoansRange)),
                    ("max_renewals", .integer(nil, Limits.maxRenewalsRange)), ("fine_per_day_cents", cents), ("max_fine_per_loan_cents", cents),
                    ("block_threshold_cents", cents.described("Borrowing, renewing and placing holds are blocked while fines owed are at or above this.")),
                    ("max_holds", .integer("Open holds (on items of any type) a member may have.", Limits.maxHoldsRange)),
                    ("pickup_days", .integer("Days a copy set aside for a hold waits on the hold shelf.", Limits.pickupDaysRange)),
                    (
                        "overdue_block_loans",
                        .integer("Borrowing, renewing and holds are blocked with this many overdue loans or more; 0: never.", Limits.overdueBlockLoansRange)
                    ),
                    ("lost_item_fee_cents", cents.described("Charged when a loan is declared lost.")),
                ],
                required: [
                    "tier", "item_type", "loan_days", "max_loans", "max_renewals", "fine_per_day_cents", "max_fine_per_loan_cents", "block_threshold_cents",
                    "max_holds", "pickup_days", "overdue_block_loans", "lost_item_fee_cents",
                ])
        ),
        (
            "Fines",
            .object(
                "What a member still owes after a payment.", [("member", id), ("fines_owed_cents", .integer(minimum: 0))],
                required: ["member", "fines_owed_cents"])
        ),
        (
            "Error",
            .object(
                "Why a request was refused. The code and name are stable and shared with the binary and JSON protocols.",
                [
                    ("code", .integer("The stable number of the error.", minimum: 100, maximum: 299, format: "int32")),
                    ("name", .string(values: ErrorCode.allCases.map(\.name))), ("message", .string("What a librarian can do about it.")),
                    ("field", .string("For INVALID_FIELD: the field at fault.", values: Field.allCases.map(\.name))),
                ],
                required: ["code", "name", "message"])
        ),
        ("ErrorEnvelope", .object("Every error answer.", [("error", .ref("Error"))], required: ["error"])),
        (
            "Token",
            .object(
                "An access token as listed: never the token itself.",
                [
                    ("id", .string("The first 12 hex digits of the token's hash; names it for revocation.", pattern: "^[0-9a-f]{12}$")),
                    ("role", .string(values: Role.allCases.map(\.name))), ("name", .string()),
                    ("member", id.described("For role member: whose account the token opens.").orNull),
                    ("rate_limit", .integer("Commands per second; null: the server's default.", minimum: 1).orNull), ("created_at", time),
                ],
                required: ["id", "role", "name", "member", "rate_limit", "created_at"])
        ),
        (
            "Health",
            .object(
                nil,
                [
                    ("status", .string("ok when ready, else unavailable.", values: ["ok", "unavailable"])), ("live", .boolean()),
                    ("ready", .boolean("Whether the server takes commands.")),
                    ("io", .string("The log's I/O path.", values: ["io_uring", "posix"])), ("fsync", .string(values: FsyncMode.allCases.map(\.rawValue))),
                    ("durable_lsn", .integer("The last log record known durable.", minimum: 0)), ("version", .string()),
                ],
                required: ["status", "live", "ready", "io", "fsync", "durable_lsn", "version"])
        ),
    ]

    static let replies: [(String, Schema)] = [
        ("ItemReply", .object(nil, [("item", .ref("Item"))], required: ["item"])),
        ("ItemPage", .object("Items ascending by id.", [("items", .array(.ref("Item"))), ("next", cursor)], required: ["items", "next"])),
        ("MemberReply", .object(nil, [("member", .ref("Member"))], required: ["member"])),
        (
            "MemberDetail",
            .object(
                "A member with the full records of its active loans.", [("member", .ref("Member")), ("loans", .array(.ref("Loan")))],
                required: ["member", "loans"])
        ),
        ("MemberPage", .object("Members ascending by id.", [("members", .array(.ref("Member"))), ("next", cursor)], required: ["members", "next"])),
        ("LoanReply", .object(nil, [("loan", .ref("Loan"))], required: ["loan"])),
        ("LoanPage", .object("Loans ascending by id.", [("loans", .array(.ref("Loan"))), ("next", cursor)], required: ["loans", "next"])),
        ("PolicyReply", .object(nil, [("policy", .ref("Policy"))], required: ["policy"])),
        ("FinesReply", .object(nil, [("fines", .ref("Fines"))], required: ["fines"])),
        ("HoldReply", .object(nil, [("hold", .ref("Hold"))], required: ["hold"])),
        (
            "SearchReply",
            .object(
                "Best first: score descending, then id.",
                [
                    ("results", .array(.object(nil, [("score", .integer(minimum: 0, format: "int32")), ("item", .ref("Item"))], required: ["score", "item"]))),
                    ("next", Schema.string("The cursor for the next page; null on the last.", pattern: "^-?[0-9]+:[0-9]+$").orNull),
                ], required: ["results", "next"])
        ),
        (
            "SummaryReply",
            .object(
                nil,
                [
                    (
                        "summary",
                        .object(
                            "Circulation as of the request. Overdue: active loans past their due day. Utilization: active loans per thousand copies.",
                            ["items", "active_items", "copies", "members", "active_loans", "overdue_loans", "loans_ever", "open_holds", "utilization_permille"].map {
                                ($0, Schema.integer(minimum: 0))
                            },
                            required: ["items", "active_items", "copies", "members", "active_loans", "overdue_loans", "loans_ever", "open_holds", "utilization_permille"])
                    )
                ], required: ["summary"])
        ),
        (
            "RankingReply",
            .object(
                "Most loans first, ties by id.",
                [("ranking", .array(.object(nil, [("id", id), ("count", .integer(minimum: 1))], required: ["id", "count"])))], required: ["ranking"])
        ),
        (
            "DailyReply",
            .object(nil, [("days", .array(.object(nil, [("day", day), ("count", .integer(minimum: 0))], required: ["day", "count"])))], required: ["days"])
        ),
        (
            "InventoryReply",
            .object(
                nil,
                [
                    (
                        "inventory",
                        .object(
                            "Circulating items never borrowed, and those with every copy out on loan, each with the first ids by id.",
                            [
                                ("never_borrowed", .integer(minimum: 0)), ("never_borrowed_sample", .array(id)), ("all_copies_out", .integer(minimum: 0)),
                                ("all_copies_out_sample", .array(id)),
                            ],
                            required: ["never_borrowed", "never_borrowed_sample", "all_copies_out", "all_copies_out_sample"])
                    )
                ], required: ["inventory"])
        ),
        (
            "HoldPage",
            .object(
                "Holds in queue order (ascending id: ready ones first). For a member's holds, all of them and `next` null.",
                [("holds", .array(.ref("Hold"))), ("next", cursor)], required: ["holds", "next"])
        ),
        (
            "Session",
            .object(
                "A member session. Send the token as 'Authorization: Bearer <token>'.",
                [("token", .string(pattern: "^lbm_")), ("expires_at", time)], required: ["token", "expires_at"])
        ),
        ("TokenList", .object(nil, [("tokens", .array(.ref("Token")))], required: ["tokens"])),
        (
            "CreatedToken",
            .object(
                "The new token, shown once: the server keeps only its hash.",
                tokenProperties + [("token", .string(pattern: "^lbr_[0-9a-f]{48}$"))],
                required: ["id", "role", "name", "member", "rate_limit", "created_at", "token"])
        ),
    ]

    static var tokenProperties: [(String, Schema)] {
        records.first { $0.0 == "Token" }!.1.properties.map { ($0.name, $0.schema) }
    }

    static let bodies: [(String, Schema)] = [
        (
            "NewItem",
            .object(
                nil,
                [
                    ("isbn", isbnInput), ("title", text("The title", 1...Limits.titleBytesMax)),
                    ("author", text("The author", 0...Limits.authorBytesMax)), ("publisher", text("The publisher (default empty)", 0...Limits.publisherBytesMax)),
                    ("year", .integer(nil, Limits.yearRange)), ("type", itemType), ("copies", .integer("Copies, all on the shelf.", 0...Limits.copiesPerItemMax)),
                ],
                required: ["isbn", "title", "author", "year", "type", "copies"])
        ),
        (
            "ItemChanges",
            .object(
                "The fields to change; those left out keep their value. Withdrawn items may be corrected too.",
                [
                    ("isbn", isbnInput), ("title", text("The title", 1...Limits.titleBytesMax)), ("author", text("The author", 0...Limits.authorBytesMax)),
                    ("publisher", text("The publisher", 0...Limits.publisherBytesMax)), ("year", .integer(nil, Limits.yearRange)), ("type", itemType),
                ],
                required: [])
        ),
        ("CopyCount", .object(nil, [("count", .integer(nil, 1...Limits.copiesPerItemMax))], required: ["count"])),
        (
            "NewMember",
            .object(
                nil,
                [
                    ("email", email), ("name", text("The name", 1...Limits.nameBytesMax)),
                    ("tier", text("A tier some policy names (default standard)", 1...Limits.tierBytesMax)), ("card_expiry", day),
                ],
                required: ["email", "name", "card_expiry"])
        ),
        (
            "MemberChanges",
            .object(
                "The fields to change; those left out keep their value.",
                [("email", email), ("name", text("The name", 1...Limits.nameBytesMax)), ("tier", text("A tier some policy names", 1...Limits.tierBytesMax)), ("card_expiry", day)],
                required: [])
        ),
        (
            "PolicyTerms",
            .object(
                "The rules for the tier and item type named in the path. A new tier comes into being with its first policy.",
                [
                    ("loan_days", .integer(nil, Limits.loanDaysRange)), ("max_loans", .integer(nil, Limits.maxLoansRange)),
                    ("max_renewals", .integer(nil, Limits.maxRenewalsRange)), ("fine_per_day_cents", cents), ("max_fine_per_loan_cents", cents),
                    ("block_threshold_cents", cents),
                    ("max_holds", .integer("Left out: \(Policy.standard.maxHolds).", Limits.maxHoldsRange)),
                    ("pickup_days", .integer("Left out: \(Policy.standard.pickupDays).", Limits.pickupDaysRange)),
                    ("overdue_block_loans", .integer("Left out: \(Policy.standard.overdueBlockLoans) (never).", Limits.overdueBlockLoansRange)),
                    ("lost_item_fee_cents", cents.described("Left out: \(Policy.standard.lostItemFeeCents).")),
                ],
                required: ["loan_days", "max_loans", "max_renewals", "fine_per_day_cents", "max_fine_per_loan_cents", "block_threshold_cents"])
        ),
        ("Checkout", .object(nil, [("member", id), ("item", id)], required: ["member", "item"])),
        ("NewHold", .object(nil, [("member", id), ("item", id)], required: ["member", "item"])),
        (
            "NewBlock",
            .object(
                nil,
                [
                    ("reason", text("Why, for the librarians who see it", 1...Limits.blockReasonBytesMax)),
                    ("blocks", .array(.string(values: BlockEffects.all.names), "What it stops; left out: all three.")),
                    ("expires_at", time.described("The block ends after this time; left out: until lifted.")),
                ],
                required: ["reason"])
        ),
        ("CopyCount", .object(nil, [("count", .integer(nil, 1...Limits.copiesPerItemMax))], required: ["count"])),
        ("FoundCopy", .object(nil, [("from", .string("Where the copy was.", values: CopyState.allCases.map(\.name)))], required: ["from"])),
        ("Unblock", .object(nil, [("block", id.described("The block's id, from the member's `blocks`."))], required: ["block"])),
        ("Payment", .object(nil, [("amount_cents", .integer(nil, 1...Limits.paymentCentsMax))], required: ["amount_cents"])),
        (
            "Login",
            .object(nil, [("member", id), ("password", .string(maxLength: ProtocolLimits.passwordBytesMax))], required: ["member", "password"])
        ),
        (
            "Password",
            .object(
                nil, [("password", text("The new password", AccessControl.passwordBytesMin...ProtocolLimits.passwordBytesMax))], required: ["password"])
        ),
        (
            "NewToken",
            .object(
                nil,
                [
                    ("role", .string(values: Role.allCases.map(\.name))), ("name", text("A name for people", 1...128)),
                    ("member", id.described("Required for role member, and only for it: whose account the token opens.")),
                    ("rate_limit", .integer("Commands per second; left out: the server's default.", minimum: 1)),
                ],
                required: ["role", "name"])
        ),
    ]
}

extension Schema {
    func described(_ text: String) -> Schema {
        var copy = self
        copy.description = text
        return copy
    }
}

extension OpenAPISchemas {
    /// The component schema of this name; every name the routes use exists.
    static func component(_ name: String) -> Schema {
        guard let schema = all.first(where: { $0.0 == name })?.1 else { preconditionFailure("no component schema '\(name)'") }
        return schema
    }
}
