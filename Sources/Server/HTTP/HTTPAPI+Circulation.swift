import Engine
import Hummingbird
import LibraProtocol

extension HTTPAPI {
    var circulationRoutes: [HTTPRoute] {
        let loanID = HTTPOperation.Parameter.path("id", "The loan's id.")
        return [
            command(
                .post, "/api/v1/loans", op: "checkout", status: .created,
                HTTPOperation(
                    id: "checkout", tag: .circulation, summary: "Check out a copy of an item to a member",
                    description: "The refusals are checked in the order docs/circulation-rules.md gives. Send an Idempotency-Key so that a retry "
                        + "after a lost answer returns the same loan instead of lending a second copy.",
                    access: .command(.checkout(member: 1, item: 1)), body: "Checkout", success: .json(201, "The new loan.", "LoanReply"),
                    refusals: [
                        .memberNotFound, .memberSuspended, .cardExpired, .memberBlocked, .itemNotFound, .itemWithdrawn, .noPolicy, .blockedByFines,
                        .tooManyOverdueLoans, .loanLimitReached, .alreadyHoldsItem, .noCopyAvailable,
                    ])),
            read(
                "/api/v1/loans/overdue",
                HTTPOperation(
                    id: "listOverdueLoans", tag: .circulation, summary: "List active loans past their due time, ascending by id, a page at a time",
                    access: .command(.overdueLoans(after: nil, limit: 1)), parameters: [.after, .limit],
                    success: .json(200, "A page of overdue loans; `next` is the cursor for the following page, null on the last.", "LoanPage"),
                    refusals: [.invalidField])
            ) { _, page in .overdueLoans(after: page.after.map { LoanID($0) }, limit: page.limit) },
            command(
                .post, "/api/v1/loans/{id}/return", op: "return", pathFields: Self.idField("loan"),
                HTTPOperation(
                    id: "returnLoan", tag: .circulation, summary: "Return a loan's copy",
                    description: "Takes no body. A late return charges the policy's fine to the member (see `fine_cents`).",
                    access: .command(.returnLoan(1)), parameters: [loanID], success: .json(200, "The returned loan.", "LoanReply"),
                    refusals: [.loanNotFound, .loanNotActive])),
            command(
                .post, "/api/v1/loans/{id}/renew", op: "renew", pathFields: Self.idField("loan"),
                HTTPOperation(
                    id: "renewLoan", tag: .circulation, summary: "Renew a loan", description: "Takes no body.", access: .command(.renewLoan(1)),
                    parameters: [loanID], success: .json(200, "The renewed loan with its new due time.", "LoanReply"),
                    refusals: [
                        .loanNotFound, .loanNotActive, .memberSuspended, .cardExpired, .memberBlocked, .noPolicy, .blockedByFines, .tooManyOverdueLoans,
                        .itemOnHold, .renewalLimitReached,
                    ])),
            command(
                .post, "/api/v1/loans/{id}/lost", op: "declare_lost", pathFields: Self.idField("loan"),
                HTTPOperation(
                    id: "declareLost", tag: .circulation, summary: "Declare a loan's copy lost",
                    description: "Takes no body. Ends the loan (`end`: lost), charges the policy's lost-item fee (in `fine_cents`) and counts the copy "
                        + "as lost until found.",
                    access: .command(.declareLost(1)), parameters: [loanID], success: .json(200, "The ended loan.", "LoanReply"),
                    refusals: [.loanNotFound, .loanNotActive])),
            command(
                .post, "/api/v1/loans/{id}/claim-returned", op: "claim_returned", pathFields: Self.idField("loan"),
                HTTPOperation(
                    id: "claimReturned", tag: .circulation, summary: "Record that the borrower says the copy was returned",
                    description: "Takes no body. Ends the loan (`end`: claimed_returned) without a fine; the copy counts as claimed returned until found.",
                    access: .command(.claimReturned(1)), parameters: [loanID], success: .json(200, "The ended loan.", "LoanReply"),
                    refusals: [.loanNotFound, .loanNotActive])),
            command(
                .post, "/api/v1/holds", op: "place_hold", status: .created,
                HTTPOperation(
                    id: "placeHold", tag: .circulation, summary: "Place a hold: join an item's queue for the next free copy",
                    description: "Only for an item with no copy on the shelf (else COPY_AVAILABLE: check it out). When a copy comes back it is set "
                        + "aside for the first in line for the policy's pickup days; a checkout by that member collects it.",
                    access: .command(.placeHold(member: 1, item: 1)), body: "NewHold", success: .json(201, "The hold and its place in the queue.", "HoldReply"),
                    refusals: [
                        .memberNotFound, .memberSuspended, .cardExpired, .memberBlocked, .itemNotFound, .itemWithdrawn, .noPolicy, .blockedByFines,
                        .tooManyOverdueLoans, .alreadyHoldsItem, .holdExists, .holdLimitReached, .copyAvailable,
                    ])),
            command(
                .post, "/api/v1/holds/{id}/cancel", op: "cancel_hold", pathFields: Self.idField("hold"),
                HTTPOperation(
                    id: "cancelHold", tag: .circulation, summary: "Cancel a hold",
                    description: "Takes no body. A ready hold's copy passes to the next member in line, or back to the shelf.",
                    access: .command(.cancelHold(1)), parameters: [.path("id", "The hold's id.")],
                    success: .json(200, "The hold as it was when cancelled.", "HoldReply"), refusals: [.holdNotFound])),
        ]
    }
}
