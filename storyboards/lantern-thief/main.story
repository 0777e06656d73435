# An original storyboard: a chase through a night market, longer than one clip can hold.
storyboard "The Lantern Thief"
model wan2.7-t2v
resolution 720P
ratio 16:9
language en
prompt-extend off
watermark off
seed 20261123
negative: blurry faces, extra fingers, text overlays
style: @film

include "shared/cast.story"

# Opening: exactly one 10-second clip.
clip opening 10s
  soundtrack: audio/market-theme.wav
  ambience: rain on canvas awnings, sizzling woks, a crowd murmuring
  music: a soft guzheng melody over a slow pulse
  shot 4s wide
    camera: slow crane down from the lanterns
    Night in @market: @mei weaves through the crowd holding her paper lantern high.
  shot 3s medium
    @mei stops at the noodle stall; @vendor smiles and hands her a steaming bowl.
    say vendor: Careful, it's hot.
  shot 3s close-up
    While @mei eats, a hand slips the lantern from her grip.
    sfx: a paper lantern rustling

# The chase: more shots than one clip can hold, so the compiler splits it at shot boundaries.
scene chase
  shot 3s tracking
    camera: handheld, running alongside
    @thief darts between stalls with the glowing lantern; @mei gives chase.
    sfx: splashing footsteps
  shot 3s wide
    @mei leaps over a stack of crates: @market.
  shot 4s medium
    @thief ducks into @alley; the neon sign buzzes above him.
    ambience: the market's noise fading behind a wall
  shot 3s pov
    Through the eyes of @mei: the lantern's glow bobbing away down @alley.
  shot 4s close-up
    @thief stops, cornered, the lantern trembling in his hand.
    say thief: I just wanted to see it light up.
  shot 3s medium
    @mei steps closer and lowers her hood.
    say mei: Then let's light it together.
  shot 4s wide
    camera: slow pull back and rise
    The two of them walk back into @market, the lantern glowing between them.
    voiceover narrator: Some things shine brighter when they're shared.
    music: the guzheng melody returns, fuller now
