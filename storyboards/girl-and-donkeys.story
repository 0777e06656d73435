# The vendor guide's silent example: wan2.2 makes no sound and always generates 5 seconds.
storyboard "女孩與小毛驢"
model wan2.2-t2v-plus
size 832*480
language zh
prompt-extend on
watermark on

clip meadow 5s
  邊緣光,低對比,中近景,日光,左側重構圖,乾淨的單人鏡頭,暖色調,柔光,晴天光,側光,白天,一個年輕的女孩坐在高草叢生的田野中,兩條毛髮蓬鬆的小毛驢站在她身後。女孩大約十一二歲,穿著簡單的碎花裙子,頭髮紮成兩條麻花辮,臉上帶著純真的笑容。她雙腿交叉坐下,雙手輕輕撫弄身旁的野花。小毛驢體型健壯,耳朵豎起,好奇地望著鏡頭方向。陽光灑在田野上,營造出溫暖自然的畫面感。
