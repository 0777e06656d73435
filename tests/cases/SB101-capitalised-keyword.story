#! SB101 9:1
#! SB101 12:3
#! SB101 16:3
#! SB101 19:3
# Keywords are lowercase. A capitalised one at the top level matches nothing; under a clip it reads
# as prose, and the block indented under it then opened nowhere; a prose line shaped like a shot
# header (`Shot 2s: …`) is one too.
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
  Shot 2s: a fox runs past, and no block follows
