import Engine
import Foundation
import Hummingbird
import LibraProtocol

extension HTTPAPI {
    var catalogRoutes: [HTTPRoute] {
        let itemID = HTTPOperation.Parameter.path("id", "The item's id.")
        let draft = ItemDraft(isbn: "", title: "", author: "", publisher: "", year: 0, type: .book, copies: 0)
        let q = HTTPOperation.Parameter(
            name: "q", location: .query, required: true, description: "Words of the title or author (prefixes and typos match), or the start of an ISBN.",
            schema: .string(minLength: 1, maxLength: SearchLimits.queryBytesMax))
        let cursor = HTTPOperation.Parameter(
            name: "after", location: .query, required: false, description: "The `next` of the previous page (`score:item`).", schema: .string(pattern: "^-?[0-9]+:[0-9]+$"))
        let pageSize = HTTPOperation.Parameter(
            name: "limit", location: .query, required: false, description: "Hits per page, 1 to \(SearchLimits.pageSizeRange.upperBound); default 20.",
            schema: .integer(nil, 1...Int32(SearchLimits.pageSizeRange.upperBound)))
        return [
            queryRead(
                "/api/v1/search",
                HTTPOperation(
                    id: "searchCatalog", tag: .catalog, summary: "Search the catalog by title, author or ISBN: best matches first, a page at a time",
                    description: "Every word must match a word of the title or author: exactly, as a prefix, or within one typo (two for long words); "
                        + "exact beats prefix beats typo, title beats author. Withdrawn items are left out. docs/circulation-rules.md, \"Search\".",
                    access: .command(.searchCatalog("a", after: nil, limit: 1)), parameters: [q, cursor, pageSize],
                    success: .json(200, "Hits with their items; `next` continues the listing, null on the last page.", "SearchReply"),
                    refusals: [.invalidField])
            ) { query throws(ProtocolRefusal) in
                var after: SearchCursor?
                if let text = query["after"] {
                    guard let parsed = SearchCursorText.cursor(text) else { throw ProtocolRefusal(.malformedRequest, "'after' must be the `next` of a previous page.") }
                    after = parsed
                }
                return .searchCatalog(query["q"] ?? "", after: after, limit: try Self.queryNumber(query, "limit", default: 20))
            },
            command(
                .post, "/api/v1/items", op: "create_item", status: .created,
                HTTPOperation(
                    id: "createItem", tag: .catalog, summary: "Add an item to the catalog, with its copies", access: .command(.createItem(draft)), body: "NewItem",
                    success: .json(201, "The new item, all copies on the shelf; the Location header names it.", "ItemReply", location: true), refusals: [.invalidField])),
            read(
                "/api/v1/items",
                HTTPOperation(
                    id: "listItems", tag: .catalog, summary: "List the catalog (withdrawn items too), ascending by id, a page at a time",
                    access: .command(.listItems(after: nil, limit: 1)), parameters: [.after, .limit],
                    success: .json(200, "A page of items; `next` is the cursor for the following page, null on the last.", "ItemPage"),
                    refusals: [.invalidField])
            ) { _, page in .listItems(after: page.after.map { ItemID($0) }, limit: page.limit) },
            read(
                "/api/v1/items/{id}",
                HTTPOperation(
                    id: "getItem", tag: .catalog, summary: "Read an item", access: .command(.getItem(1)), parameters: [itemID],
                    success: .json(200, "The item.", "ItemReply"), refusals: [.itemNotFound])
            ) { id, _ in .getItem(ItemID(id)) },
            command(
                .post, "/api/v1/items/{id}/copies/missing", op: "mark_missing", pathFields: Self.idField("item"),
                HTTPOperation(
                    id: "markMissing", tag: .catalog, summary: "Record shelf copies that cannot be found", access: .command(.markMissing(1, count: 1)),
                    parameters: [itemID], body: "CopyCount", success: .json(200, "The item, with the copies counted as missing.", "ItemReply"),
                    refusals: [.itemNotFound, .copiesOnLoan, .invalidField])),
            command(
                .post, "/api/v1/items/{id}/copies/found", op: "mark_found", pathFields: Self.idField("item"),
                HTTPOperation(
                    id: "markFound", tag: .catalog, summary: "Put a lost, missing or claimed-returned copy back on the shelf",
                    description: "The copy goes to the item's first waiting hold, if any. A lost copy's fee is not refunded.",
                    access: .command(.markFound(1, from: .missing)), parameters: [itemID], body: "FoundCopy",
                    success: .json(200, "The item as it is now.", "ItemReply"), refusals: [.itemNotFound, .noCopyInState])),
            read(
                "/api/v1/items/{id}/holds",
                HTTPOperation(
                    id: "listItemHolds", tag: .catalog, summary: "List an item's hold queue, ready holds first, a page at a time",
                    access: .command(.itemHolds(1, after: nil, limit: 1)), parameters: [itemID, .after, .limit],
                    success: .json(200, "A page of the queue; `next` is the cursor for the following page, null on the last.", "HoldPage"),
                    refusals: [.itemNotFound, .invalidField])
            ) { id, page in .itemHolds(ItemID(id), after: page.after.map { HoldID($0) }, limit: page.limit) },
            command(
                .patch, "/api/v1/items/{id}", op: "update_item", pathFields: Self.idField("item"),
                HTTPOperation(
                    id: "updateItem", tag: .catalog, summary: "Correct an item's record", access: .command(.updateItem(1, ItemChanges())), parameters: [itemID], body: "ItemChanges",
                    success: .json(200, "The item as changed.", "ItemReply"), refusals: [.itemNotFound, .invalidField])),
            command(
                .post, "/api/v1/items/{id}/withdraw", op: "withdraw_item", pathFields: Self.idField("item"),
                HTTPOperation(
                    id: "withdrawItem", tag: .catalog, summary: "Withdraw an item from circulation (it stays listed)",
                    description: "Takes no body. Refused while copies are out on loan or on the hold shelf, or members wait for it.", access: .command(.withdrawItem(1)), parameters: [itemID],
                    success: .json(200, "The withdrawn item.", "ItemReply"), refusals: [.itemNotFound, .itemAlreadyWithdrawn, .itemHasHolds, .itemHasActiveLoans])),
            command(
                .post, "/api/v1/items/{id}/copies/add", op: "add_copies", pathFields: Self.idField("item"),
                HTTPOperation(
                    id: "addCopies", tag: .catalog, summary: "Add copies to an item (onto the shelf)", access: .command(.addCopies(1, count: 1)), parameters: [itemID], body: "CopyCount",
                    success: .json(200, "The item with its new copy counts.", "ItemReply"),
                    refusals: [.itemNotFound, .itemWithdrawn, .invalidField])),
            command(
                .post, "/api/v1/items/{id}/copies/remove", op: "remove_copies", pathFields: Self.idField("item"),
                HTTPOperation(
                    id: "removeCopies", tag: .catalog, summary: "Remove copies from the shelf", access: .command(.removeCopies(1, count: 1)), parameters: [itemID], body: "CopyCount",
                    success: .json(200, "The item with its new copy counts.", "ItemReply"),
                    refusals: [.itemNotFound, .copiesOnLoan, .invalidField])),
            command(
                .put, "/api/v1/policies/{tier}/{item_type}", op: "set_policy", pathFields: Self.policyKey,
                HTTPOperation(
                    id: "setPolicy", tag: .catalog, summary: "Set the loan rules for a member tier and an item type",
                    access: .command(.setPolicy(PolicyKey(tier: "standard", itemType: .book), .standard)),
                    parameters: [
                        .path("tier", "The member tier, 1 to \(Limits.tierBytesMax) bytes (percent-encoded in the path).", .string(minLength: 1, maxLength: Limits.tierBytesMax)),
                        .path("item_type", "The item type.", OpenAPISchemas.itemType),
                    ],
                    body: "PolicyTerms", success: .json(200, "The policy now in force.", "PolicyReply"), refusals: [.invalidField])),
        ]
    }

    /// The tier and item type of /api/v1/policies/{tier}/{item_type}.
    static let policyKey: PathFields = { context throws(ProtocolRefusal) in
        guard let tier = context.parameters.get("tier")?.removingPercentEncoding, let type = context.parameters.get("item_type") else {
            throw ProtocolRefusal(.malformedRequest, "The path names a tier and an item type.")
        }
        return ["tier": tier, "item_type": type]
    }
}
