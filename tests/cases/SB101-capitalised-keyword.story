#! SB101 7:1
#! SB101 10:3
#! SB101 14:3
# Keywords are lowercase. A capitalised one at the top level matches nothing; under a clip it reads
# as prose, and the block indented under it then opened nowhere.
model wan2.7-t2v
Clip opening 3s
  a quiet street at dawn
clip chase 5s
  Shot 2s wide
    a fox runs
  shot 3s close-up
    the fox stops
  SHOT [0-1s]
    nothing here
  Shot from a low angle, the fox looks up
