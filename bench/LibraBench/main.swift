import Engine
print("placeholder")
