<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name />
    <message>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Show or hide the second camera's picture</source>
        <translation>显示或隐藏第二摄像头的画面</translation>
    </message>
    <message>
        <source>No microphone in this call</source>
        <translation>本次通话没有麦克风</translation>
    </message>
    <message>
        <source>Reconnecting to the server… The video continues.</source>
        <translation>正在重新连接服务器… 视频仍在继续。</translation>
    </message>
    <message>
        <source>RTT {ms:.0f} ms</source>
        <translation>往返 {ms:.0f} 毫秒</translation>
    </message>
    <message>
        <source>loss {pct:.1f}%</source>
        <translation>丢包 {pct:.1f}%</translation>
    </message>
    <message>
        <source>{mbps:.1f} Mbit/s</source>
        <translation>{mbps:.1f} Mbit/s</translation>
    </message>
    <message>
        <source>No microphone</source>
        <translation>无麦克风</translation>
    </message>
    <message>
        <source>Muted — click to talk</source>
        <translation>已静音 — 点击说话</translation>
    </message>
    <message>
        <source>The others cannot hear you (Ctrl+M)</source>
        <translation>对方听不到您的声音（Ctrl+M）</translation>
    </message>
    <message>
        <source>Microphone on</source>
        <translation>麦克风已开</translation>
    </message>
    <message>
        <source>Click to mute your microphone (Ctrl+M)</source>
        <translation>点击将麦克风静音（Ctrl+M）</translation>
    </message>
    <message>
        <source>{w}×{h} · {fps:.0f} fps</source>
        <translation>{w}×{h} · {fps:.0f} 帧/秒</translation>
    </message>
    <message>
        <source>Station — ultrasound-consult</source>
        <translation>扫查端 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Expert — ultrasound-consult</source>
        <translation>专家端 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Click to mark · drag to draw an arrow</source>
        <translation>单击标记 · 拖动画箭头</translation>
    </message>
    <message>
        <source>Clear my marks</source>
        <translation>清除我的标记</translation>
    </message>
    <message>
        <source>Watching (observers cannot draw)</source>
        <translation>观看中（观摩者不能标注）</translation>
    </message>
    <message>
        <source>Waiting for video…</source>
        <translation>正在等待视频…</translation>
    </message>
    <message>
        <source>Station confirmed in {ms:.0f} ms</source>
        <translation>扫查端已确认（{ms:.0f} 毫秒）</translation>
    </message>
    <message>
        <source>Station refused: {reason}</source>
        <translation>扫查端拒绝：{reason}</translation>
    </message>
    <message>
        <source>Join a consult — ultrasound-consult</source>
        <translation>加入会诊 — 超声远程会诊</translation>
    </message>
    <message>
        <source>Invite code</source>
        <translation>邀请码</translation>
    </message>
    <message>
        <source>Station (I am scanning)</source>
        <translation>扫查端（我在做超声检查）</translation>
    </message>
    <message>
        <source>Expert (I am guiding)</source>
        <translation>专家端（我在指导）</translation>
    </message>
    <message>
        <source>Trainer (I am teaching)</source>
        <translation>带教（我在教学）</translation>
    </message>
    <message>
        <source>Observer (I am watching)</source>
        <translation>观摩（我只观看）</translation>
    </message>
    <message>
        <source>Enter the invite code you were given, exactly as given.</source>
        <translation>请准确输入您收到的邀请码。</translation>
    </message>
    <message>
        <source>Video source</source>
        <translation>视频来源</translation>
    </message>
    <message>
        <source>invite code or link, e.g. clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN</source>
        <translation>邀请码或链接，例如 clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>My name</source>
        <translation>我的名字</translation>
    </message>
    <message>
        <source>Join</source>
        <translation>加入</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Connecting to the server…</source>
        <translation>正在连接服务器…</translation>
    </message>
    <message>
        <source>Waiting for an expert to join room {room}</source>
        <translation>等待专家加入房间 {room}</translation>
    </message>
    <message>
        <source>Waiting for the station to join room {room}</source>
        <translation>等待扫查端加入房间 {room}</translation>
    </message>
    <message>
        <source>Connecting video…</source>
        <translation>正在连接视频…</translation>
    </message>
    <message>
        <source>Connected to {name}</source>
        <translation>已连接：{name}</translation>
    </message>
    <message>
        <source>the other side</source>
        <translation>对方</translation>
    </message>
    <message>
        <source>Call ended</source>
        <translation>会诊已结束</translation>
    </message>
    <message>
        <source>The call could not start</source>
        <translation>会诊无法开始</translation>
    </message>
    <message>
        <source>Cannot reach the server. Check the address and the network.</source>
        <translation>无法连接服务器。请检查地址和网络。</translation>
    </message>
    <message>
        <source>The server address is not valid.</source>
        <translation>服务器地址无效。</translation>
    </message>
    <message>
        <source>The server did not accept the call.</source>
        <translation>服务器未接受本次会诊。</translation>
    </message>
    <message>
        <source>This room is full. Use another room code.</source>
        <translation>该房间已满。请使用其他房间号。</translation>
    </message>
    <message>
        <source>This app and the server are different versions. Update the app.</source>
        <translation>本软件与服务器版本不一致。请更新软件。</translation>
    </message>
    <message>
        <source>The video source cannot be opened.</source>
        <translation>无法打开视频来源。</translation>
    </message>
    <message>
        <source>The video source stopped. Check the cable, or choose another source.</source>
        <translation>视频来源已中断。请检查连接线，或选择其他来源。</translation>
    </message>
    <message>
        <source>Lost the connection to the server. The video continues.</source>
        <translation>与服务器的连接已断开。视频仍在继续。</translation>
    </message>
    <message>
        <source>The video connection failed. The network may block it.</source>
        <translation>视频连接失败。网络可能阻止了连接。</translation>
    </message>
    <message>
        <source>That cannot be done right now.</source>
        <translation>目前无法执行此操作。</translation>
    </message>
    <message>
        <source>The second camera cannot be opened. The ultrasound goes on.</source>
        <translation>无法打开第二摄像头。超声图像不受影响。</translation>
    </message>
    <message>
        <source>The second camera stopped. The ultrasound goes on.</source>
        <translation>第二摄像头已停止。超声图像不受影响。</translation>
    </message>
    <message>
        <source>No microphone: the others will not hear you.</source>
        <translation>没有麦克风：对方将听不到您的声音。</translation>
    </message>
    <message>
        <source>No speaker: you will not hear the others.</source>
        <translation>没有扬声器：您将听不到对方的声音。</translation>
    </message>
    <message>
        <source>Something went wrong.</source>
        <translation>出现错误。</translation>
    </message>
    <message>
        <source>Connection good</source>
        <translation>连接良好</translation>
    </message>
    <message>
        <source>Connection fair</source>
        <translation>连接一般</translation>
    </message>
    <message>
        <source>Connection poor</source>
        <translation>连接较差</translation>
    </message>
</context>
</TS>