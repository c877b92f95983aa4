import Server

print("libra \(Server.version)")
