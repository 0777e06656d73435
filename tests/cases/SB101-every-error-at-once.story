# Three syntax errors in three clips and an undeclared name in a fourth: one run reports all four,
# and every clip that parsed is still checked.
#! SB101 14:8
#! SB101 19:3
#! SB101 25:11
#! SB205 32:47
model wan2.7-t2v
cast fox: a red fox in a trench coat
place office: a cluttered detective office

clip opening 5s
  shot 2s wide
    @fox looks at the camera
  shot 3 close-up
    camera: push in
    @fox turns the pages of a case file

clip office 5s
  Shot 2s wide
    camera: slow pan
  shot 3s medium
    @fox paces the @office

clip street 4s
  shot 4s [wide]
    rain on the street

clip ending 3s
  shot 3s close-up
    @fox blows out the lamp
    sfx: a match struck
    the @office goes dark, @fox is gone, then @lamp
